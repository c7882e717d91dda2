public import ChitieuCrypto
public import ChitieuStore

/// Settings of the HTTP server, from flags and `CHITIEU_*` variables.
public struct ServerConfiguration: Sendable {
    /// Address to bind (`CHITIEU_HOST`). Default 127.0.0.1: put a reverse proxy in front.
    public var host: String
    /// Port (`CHITIEU_PORT`). Default 8080.
    public var port: Int
    /// How long a login's session token lives, in seconds (`CHITIEU_SESSION_HOURS`, default 12 h).
    public var sessionSeconds: Int
    /// Limits on failed logins.
    public var loginLimits: LoginLimits
    /// scrypt parameters for new password hashes.
    public var passwordParameters: Scrypt.Parameters
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (`CHITIEU_TRUSTED_PROXIES`).
    public var trustedProxies: Set<String>
    /// Seconds a verified bearer token is trusted without asking the database
    /// (`CHITIEU_TOKEN_CACHE_SECONDS`, default 60, at most 60; 0: none). Announced changes apply at once.
    public var tokenCacheSeconds: Int
    /// Seconds a progress answer is kept in memory at most (`CHITIEU_FIGURES_CACHE_SECONDS`,
    /// default 300, at most 3600; 0: none). Recomputed figures and changed units are announced
    /// and apply at once.
    public var figuresCacheSeconds: Int
    /// How long clients may hold connections, and how many.
    public var connectionLimits: HTTPConnectionLimits
    /// The longest a request's database statement may wait for an answer
    /// (`CHITIEU_STATEMENT_DEADLINE_SECONDS`, default 10 s; nil: no limit). Past it the request
    /// answers 503 `database-unavailable` and its connection is closed: a stalled database costs
    /// a request this long, not the whole stall.
    public var statementDeadline: Duration?

    /// Creates a configuration with documented defaults.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, sessionSeconds: Int = 12 * 3600, loginLimits: LoginLimits = LoginLimits(),
        passwordParameters: Scrypt.Parameters = .standard, trustedProxies: Set<String> = [], tokenCacheSeconds: Int = 60,
        figuresCacheSeconds: Int = 300, connectionLimits: HTTPConnectionLimits = HTTPConnectionLimits(), statementDeadline: Duration? = .seconds(10)
    ) {
        self.connectionLimits = connectionLimits
        self.statementDeadline = statementDeadline
        self.tokenCacheSeconds = tokenCacheSeconds
        self.figuresCacheSeconds = figuresCacheSeconds
        self.trustedProxies = trustedProxies
        self.host = host
        self.port = port
        self.sessionSeconds = sessionSeconds
        self.loginLimits = loginLimits
        self.passwordParameters = passwordParameters
    }
}

public import Foundation

/// How to reach PostgreSQL and how the pool behaves.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string (`host=… dbname=…`) or URL (`postgresql://user@host/db`).
    /// Empty means libpq's own defaults: the `PG*` environment variables and service files.
    public var connectionString: String
    /// Name reported in `pg_stat_activity` when the connection string names none.
    public var applicationName: String
    /// Most connections the pool opens at once. Default 10.
    public var maxConnections: Int
    /// How long a request waits for a free connection before failing. Default 5 s.
    public var acquireTimeout: Duration
    /// Seconds libpq waits for a new connection (`connect_timeout`). Default 5.
    public var connectTimeoutSeconds: Int
    /// The server's `statement_timeout` on every connection (nil: the role's or server's own,
    /// usually none). Default nil: bulk loads and admin work may take as long as they need.
    public var statementTimeout: Duration?

    /// Creates a configuration with documented defaults.
    public init(
        connectionString: String = "", applicationName: String = "chitieu", maxConnections: Int = 10,
        acquireTimeout: Duration = .seconds(5), connectTimeoutSeconds: Int = 5, statementTimeout: Duration? = nil
    ) {
        self.statementTimeout = statementTimeout
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// The first of the named environment variables that is set (e.g. `CHITIEU_DATABASE_URL`,
    /// then `DATABASE_URL`); otherwise empty, so libpq reads `PG*` variables and service files.
    public static func connectionString(fromEnvironment names: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for name in names {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return ""
    }

    /// The connection string with any password hidden, for logs and messages.
    public var redactedConnectionString: String {
        Self.redact(connectionString)
    }

    static func redact(_ s: String) -> String {
        var out = s
        // URL form: scheme://user:password@host
        if let scheme = out.range(of: "://"), let at = out.range(of: "@", range: scheme.upperBound..<out.endIndex),
            let colon = out.range(of: ":", range: scheme.upperBound..<at.lowerBound)
        {
            out.replaceSubrange(colon.upperBound..<at.lowerBound, with: "***")
        }
        // Key-value form: password=secret
        if let r = out.range(of: "password=") {
            let end = out[r.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? out.endIndex
            out.replaceSubrange(r.upperBound..<end, with: "***")
        }
        return out
    }
}

/// Settings of the HTTP server (`chitieu serve`). Flags override `CHITIEU_*` variables,
/// which override these defaults.
public struct ServerConfiguration: Sendable {
    /// Address to bind (`CHITIEU_HOST`). Default 127.0.0.1: put a reverse proxy in front.
    public var host: String
    /// Port (`CHITIEU_PORT`). Default 8080.
    public var port: Int

    /// Creates a configuration with documented defaults.
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// How long an HTTP client may hold a connection without making progress, and how many
/// connections the server keeps open: a client that opens sockets and sends nothing, or a head
/// or a body a byte at a time, or announces a body it never sends, is cut off; so the daemon's
/// file descriptors are never all held by such clients.
public struct HTTPConnectionLimits: Sendable {
    /// A connection with no request under way is closed after this long: between keep-alive
    /// requests, or before its first (`CHITIEU_HTTP_IDLE_SECONDS`, default 60 s).
    public var idle: Duration
    /// A request's head (request line and header fields) must arrive within this long of its
    /// first byte (`CHITIEU_HTTP_HEAD_SECONDS`, default 10 s).
    public var head: Duration
    /// A request's body must arrive within this long of its head (`CHITIEU_HTTP_BODY_SECONDS`,
    /// default 30 s: 1 MiB, the largest body, at 35 kB/s).
    public var body: Duration
    /// Most connections open at once; more wait in the kernel's listen queue until one closes
    /// (`CHITIEU_HTTP_MAX_CONNECTIONS`, default 1024).
    public var maxConnections: Int

    /// Limits with documented defaults.
    public init(idle: Duration = .seconds(60), head: Duration = .seconds(10), body: Duration = .seconds(30), maxConnections: Int = 1024) {
        self.idle = idle
        self.head = head
        self.body = body
        self.maxConnections = maxConnections
    }
}

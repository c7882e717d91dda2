extension PostgresConnection {
    /// The longest one operation (a statement, a pipeline, a script) may wait for the server in
    /// the current task; nil (the default) waits as long as it takes. Past it the connection is
    /// closed under the operation, which fails with `connectionClosed`: a server that stopped
    /// answering (frozen, overloaded, a network that drops packets) costs a request this long,
    /// not the whole stall. The daemon sets it around each HTTP request; jobs, bulk loads and
    /// admin commands run without one.
    @TaskLocal public static var statementDeadline: Duration? = nil
}

extension Duration {
    /// Whole milliseconds, for PostgreSQL settings.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

public import Logging

/// A bounded pool of connections.
///
/// - At most `maxConnections` are open; a request waits for a free one up to
///   `acquireTimeout`, then fails with `poolTimeout`.
/// - A connection is checked before it is handed out (still open, idle, nothing from the
///   server saying it went away) and after an error (a broken one is closed, an aborted
///   transaction rolled back), so after a server restart the pool reconnects by itself:
///   a request while the server is down fails with `connectionFailed`, the next one after it
///   is back succeeds.
public actor PostgresPool {
    /// The pool's settings.
    public nonisolated let configuration: PostgresConfiguration
    let logger: Logger

    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiter = 0
    private var closed = false

    /// Creates a pool; connections open on first use.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Counts for metrics and health: open connections, idle ones, requests waiting.
    public struct Statistics: Sendable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        public var max: Int
    }

    /// The pool's current counts.
    public var statistics: Statistics {
        Statistics(open: open, idle: idle.count, waiting: waiters.count, max: configuration.maxConnections)
    }

    /// Lends a connection to `body` and takes it back afterwards, checked.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection. With a retry policy, a
    /// serialization failure or deadlock (40001/40P01) runs the whole body again. `prelude`: see
    /// `PostgresConnection.withTransaction`.
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted, readOnly: Bool = false, retry: PostgresRetryPolicy = .none, prelude: String? = nil,
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        var backoff = retry.initialBackoff
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.withTransaction(isolation: isolation, readOnly: readOnly, prelude: prelude, body)
                }
            } catch let error as PostgresError where error.isRetryable && attempt < retry.maxAttempts {
                logger.debug(
                    "Retrying a transaction after a serialization failure or deadlock.",
                    metadata: ["postgres.sqlstate": "\(error.sqlState ?? "")", "postgres.attempt": "\(attempt)"])
                let jitter = Double.random(in: 0.5...1.5)
                try await Task.sleep(for: backoff * jitter)
                backoff *= 2
                attempt += 1
            }
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery, prepared: Bool = false) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query, prepared: prepared) }
    }

    /// Takes a connection out of the pool; give it back with `release`.
    public func acquire() async throws -> PostgresConnection {
        guard !closed else { throw PostgresError(code: .poolClosed, message: "the connection pool is shut down") }
        while let connection = idle.popLast() {
            if await connection.checkHealth() == .idle { return connection }
            await discard(connection, reason: "it was found broken when taken from the pool")
        }
        if open < configuration.maxConnections {
            return try await openConnection()
        }
        return try await waitForConnection()
    }

    private func openConnection() async throws -> PostgresConnection {
        open += 1
        do {
            return try await PostgresConnection.connect(configuration, logger: logger)
        } catch {
            open -= 1
            throw error
        }
    }

    private func waitForConnection() async throws -> PostgresConnection {
        nextWaiter += 1
        let id = nextWaiter
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expireWaiter(id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
        }
    }

    private func expireWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(
            throwing: PostgresError(
                code: .poolTimeout,
                message: "no database connection became free within \(configuration.acquireTimeout) (\(configuration.maxConnections) in use)"))
    }

    /// Gives a connection back. A connection left in a transaction is rolled back; a broken one is closed.
    public func release(_ connection: PostgresConnection) async {
        var state = await connection.checkHealth()
        if state == .inTransaction || state == .failedTransaction {
            try? await connection.executeScript("ROLLBACK")
            state = await connection.checkHealth()
        }
        guard state == .idle, !closed else {
            await discard(connection, reason: closed ? "the pool is shut down" : "it is broken or busy")
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            waiter.continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    private func discard(_ connection: PostgresConnection, reason: String) async {
        open -= 1
        logger.debug("Closing a database connection.", metadata: ["postgres.connection": "\(connection.id)", "reason": "\(reason)"])
        await connection.close()
        // A waiter may now get a fresh connection in the freed slot.
        if !closed, !waiters.isEmpty, open < configuration.maxConnections {
            let waiter = waiters.removeFirst()
            open += 1
            do {
                let fresh = try await PostgresConnection.connect(configuration, logger: logger)
                waiter.continuation.resume(returning: fresh)
            } catch {
                open -= 1
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    /// Closes every idle connection and fails waiting requests; later requests fail with `poolClosed`.
    public func shutdown() async {
        closed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed, message: "the connection pool is shut down"))
        }
        waiters.removeAll()
        let connections = idle
        idle.removeAll()
        for connection in connections {
            open -= 1
            await connection.close()
        }
    }
}

public import Logging
import Synchronization

/// A bounded pool of connections.
///
/// - At most `maxConnections` are open; a request waits for a free one up to
///   `acquireTimeout`, then fails with `poolTimeout`.
/// - A connection is checked before it is handed out (still open, idle, nothing from the
///   server saying it went away) and after an error (a broken one is closed, an aborted
///   transaction rolled back), so after a server restart the pool reconnects by itself:
///   a request while the server is down fails with `connectionFailed`, the next one after it
///   is back succeeds.
/// - Taking and giving back a free connection is a few instructions under a lock: no hop to
///   another executor, and the checks ask libpq without a round trip or a blocking call.
public final class PostgresPool: Sendable {
    /// The pool's settings.
    public let configuration: PostgresConfiguration
    let logger: Logger
    private let state = Mutex(State())

    private struct Waiter {
        var deadline: ContinuousClock.Instant
        /// Resumed with a connection handed over, or nil: take again (one became free meanwhile).
        var continuation: CheckedContinuation<PostgresConnection?, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var closed = false
        /// A task expires waiters past their deadline while there are any.
        var reaping = false
        /// Requests that found no free connection within `acquireTimeout`, since the pool was made.
        var timeouts = 0
    }

    /// Creates a pool; connections open on first use.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Counts for metrics and health: open connections, idle ones, requests waiting, and the
    /// requests that waited in vain (`poolTimeout`) since the pool was made.
    public struct Statistics: Sendable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        public var max: Int
        public var timeouts: Int
    }

    /// The pool's current counts.
    public var statistics: Statistics {
        state.withLock {
            Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count, max: configuration.maxConnections, timeouts: $0.timeouts)
        }
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
        try await withTransaction(isolation: isolation, readOnly: readOnly, retry: retry, prelude: prelude, opening: []) { connection, _ in
            try await body(connection)
        }
    }

    /// `withTransaction` whose first statements go out with BEGIN (see the connection's).
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted, readOnly: Bool = false, retry: PostgresRetryPolicy = .none, prelude: String? = nil,
        opening: [(query: PostgresQuery, prepared: Bool)], _ body: @Sendable (PostgresConnection, [PostgresRows]) async throws -> T
    ) async throws -> T {
        var attempt = 1
        var backoff = retry.initialBackoff
        while true {
            do {
                return try await withConnection { connection in
                    try await connection.withTransaction(isolation: isolation, readOnly: readOnly, prelude: prelude, opening: opening, body)
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

    /// What `acquire` does once it holds the lock.
    private enum Acquisition {
        case reuse(PostgresConnection)
        case broken(PostgresConnection)
        case open
        case wait
        case closed
    }

    /// Takes a connection out of the pool; give it back with `release`.
    public func acquire() async throws -> PostgresConnection {
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        while true {
            let step = state.withLock { state -> Acquisition in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() {
                    // Idle in the pool, so no task uses it: asking libpq here is safe.
                    if connection.checkHealthNow() == .idle { return .reuse(connection) }
                    state.open -= 1
                    return .broken(connection)
                }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch step {
            case .reuse(let connection):
                return connection
            case .broken(let connection):
                logger.debug("Closing a database connection.", metadata: ["postgres.connection": "\(connection.id)", "reason": "it was found broken when taken from the pool"])
                await connection.close()
            case .open:
                do {
                    return try await PostgresConnection.connect(configuration, logger: logger)
                } catch {
                    state.withLock { $0.open -= 1 }
                    // The slot is free again: a request waiting for one may try it.
                    await replaceForWaiter()
                    throw error
                }
            case .wait:
                if let connection = try await waitForConnection(until: deadline) { return connection }
            case .closed:
                throw PostgresError(code: .poolClosed, message: "the connection pool is shut down")
            }
        }
    }

    /// Waits for a connection handed over by `release`, or returns nil when one became free
    /// since `acquire` looked (checked under the lock that queues the waiter).
    private func waitForConnection(until deadline: ContinuousClock.Instant) async throws -> PostgresConnection? {
        try await withCheckedThrowingContinuation { continuation in
            enum Step { case wait(startReaper: Bool), retry, closed }
            let step = state.withLock { state -> Step in
                if state.closed { return .closed }
                if !state.idle.isEmpty || state.open < configuration.maxConnections { return .retry }
                state.waiters.append(Waiter(deadline: deadline, continuation: continuation))
                guard !state.reaping else { return .wait(startReaper: false) }
                state.reaping = true
                return .wait(startReaper: true)
            }
            switch step {
            case .wait(let startReaper):
                if startReaper { Task { await self.reapWaiters() } }
            case .retry:
                continuation.resume(returning: nil)
            case .closed:
                continuation.resume(throwing: PostgresError(code: .poolClosed, message: "the connection pool is shut down"))
            }
        }
    }

    /// Fails the requests that waited longer than `acquireTimeout`; one task while any wait,
    /// rather than a timer for each request.
    private func reapWaiters() async {
        while true {
            let (expired, next) = state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
                let now = ContinuousClock.now
                let expired = state.waiters.filter { $0.deadline <= now }
                state.waiters.removeAll { $0.deadline <= now }
                state.timeouts += expired.count
                guard let next = state.waiters.map(\.deadline).min() else {
                    state.reaping = false
                    return (expired, nil)
                }
                return (expired, next)
            }
            for waiter in expired {
                waiter.continuation.resume(
                    throwing: PostgresError(
                        code: .poolTimeout,
                        message: "no database connection became free within \(configuration.acquireTimeout) (\(configuration.maxConnections) in use)"))
            }
            guard let next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }

    /// What `release` does once it holds the lock.
    private enum Return {
        case handOver(CheckedContinuation<PostgresConnection?, any Error>)
        case kept
        case discard
    }

    /// Gives a connection back. A connection left in a transaction is rolled back; a broken one is closed.
    public func release(_ connection: PostgresConnection) async {
        var health = connection.checkHealthNow()
        if health == .inTransaction || health == .failedTransaction {
            try? await connection.executeScript("ROLLBACK")
            health = connection.checkHealthNow()
        }
        let step = state.withLock { state -> Return in
            guard health == .idle, !state.closed else {
                state.open -= 1
                return .discard
            }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst().continuation) }
            state.idle.append(connection)
            return .kept
        }
        switch step {
        case .handOver(let continuation):
            continuation.resume(returning: connection)
        case .kept:
            break
        case .discard:
            let closed = state.withLock { $0.closed }
            logger.debug(
                "Closing a database connection.",
                metadata: ["postgres.connection": "\(connection.id)", "reason": "\(closed ? "the pool is shut down" : "it is broken or busy")"])
            await connection.close()
            await replaceForWaiter()
        }
    }

    /// A connection was closed: a waiter may now get a fresh one in the freed slot.
    private func replaceForWaiter() async {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.closed, !state.waiters.isEmpty, state.open < configuration.maxConnections else { return nil }
            state.open += 1
            return state.waiters.removeFirst()
        }
        guard let waiter else { return }
        do {
            waiter.continuation.resume(returning: try await PostgresConnection.connect(configuration, logger: logger))
        } catch {
            state.withLock { $0.open -= 1 }
            waiter.continuation.resume(throwing: error)
        }
    }

    /// Closes every idle connection and fails waiting requests; later requests fail with `poolClosed`.
    public func shutdown() async {
        let (waiters, connections) = state.withLock { state in
            state.closed = true
            defer {
                state.waiters.removeAll()
                state.open -= state.idle.count
                state.idle.removeAll()
            }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed, message: "the connection pool is shut down"))
        }
        for connection in connections { await connection.close() }
    }
}

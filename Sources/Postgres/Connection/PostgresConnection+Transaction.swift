/// The isolation level of a transaction.
public enum PostgresIsolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// When to run a transaction again after it failed.
public struct PostgresRetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Wait before the second attempt; doubled each time, with jitter.
    public var initialBackoff: Duration

    /// Creates a policy.
    public init(maxAttempts: Int, initialBackoff: Duration = .milliseconds(5)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
    }

    /// Never retry.
    public static let none = PostgresRetryPolicy(maxAttempts: 1)
    /// Retry serialization failures and deadlocks (SQLSTATE 40001/40P01) up to 5 attempts.
    public static let serializationFailures = PostgresRetryPolicy(maxAttempts: 5)
}

extension PostgresConnection {
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Nothing it did remains after a rollback.
    /// `prelude`, SQL the program wrote (never input), runs right after BEGIN in the same round trip.
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted, readOnly: Bool = false, prelude: String? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withTransaction(isolation: isolation, readOnly: readOnly, prelude: prelude, opening: []) { connection, _ in
            try await body(connection)
        }
    }

    /// `withTransaction` whose first statements, `opening`, go out with BEGIN and the prelude
    /// (then one statement) in one round trip; `body` gets their rows. The body may end the
    /// transaction itself with `commit(after:)`, its last statements and COMMIT in one round
    /// trip; it must send nothing after that.
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted, readOnly: Bool = false, prelude: String? = nil,
        opening: [(query: PostgresQuery, prepared: Bool)], _ body: (PostgresConnection, [PostgresRows]) async throws -> T
    ) async throws -> T {
        var begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
        if readOnly { begin += " READ ONLY" }
        committedInPipeline.withLock { $0 = false }
        defer { committedInPipeline.withLock { $0 = false } }
        var opened: [PostgresRows] = []
        do {
            if opening.isEmpty {
                try await executeScript(prelude.map { begin + "; " + $0 } ?? begin)
            } else {
                var statements: [(query: PostgresQuery, prepared: Bool)] = [(PostgresQuery(unsafeSQL: begin), false)]
                if let prelude { statements.append((PostgresQuery(unsafeSQL: prelude), false)) }
                opened = Array(try await pipeline(statements + opening).dropFirst(statements.count))
            }
        } catch {
            // The prelude or an opening statement failed inside the transaction it opened.
            if prelude != nil || !opening.isEmpty { try? await executeScript("ROLLBACK") }
            throw error
        }
        let value: T
        do {
            value = try await body(self, opened)
        } catch {
            if !committedInPipeline.withLock({ $0 }) { try? await executeScript("ROLLBACK") }
            throw error
        }
        if committedInPipeline.withLock({ $0 }) { return value }
        try await executeScript("COMMIT")
        return value
    }

    /// Ends the transaction `withTransaction` opened: `queries`, then COMMIT, in one round trip.
    /// Returns the rows of `queries`. When one fails, the rest and COMMIT do not run, and the
    /// transaction is rolled back when the body throws.
    public func commit(after queries: [(query: PostgresQuery, prepared: Bool)]) async throws -> [PostgresRows] {
        // Alone, a COMMIT of a failed transaction answers ROLLBACK, not an error: a plain
        // `withTransaction` return is the way to commit with no last statements.
        precondition(!queries.isEmpty, "commit(after:) needs the transaction's last statements")
        let rows = try await pipeline(queries + [(PostgresQuery(unsafeSQL: "COMMIT"), false)])
        committedInPipeline.withLock { $0 = true }
        return Array(rows.dropLast())
    }
}

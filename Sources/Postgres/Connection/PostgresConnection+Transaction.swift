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
        var begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
        if readOnly { begin += " READ ONLY" }
        if let prelude { begin += "; " + prelude }
        do {
            try await executeScript(begin)
        } catch {
            // The prelude failed inside the transaction it opened.
            if prelude != nil { try? await executeScript("ROLLBACK") }
            throw error
        }
        let value: T
        do {
            value = try await body(self)
        } catch {
            try? await executeScript("ROLLBACK")
            throw error
        }
        try await executeScript("COMMIT")
        return value
    }
}

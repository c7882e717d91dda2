import Synchronization

/// Counts the round trips to the server that a task (and the tasks it starts) makes: each
/// statement, pipeline, script or COPY sent and answered is one, however many statements it
/// holds. For tests and benchmarks that hold a store operation to a number of round trips:
///
/// ```swift
/// let (record, trips) = try await PostgresRoundTrips.count { try await results.approve(…) }
/// ```
public final class PostgresRoundTrips: Sendable {
    private let value = Mutex(0)

    /// The counter of the running task, if it counts.
    @TaskLocal static var current: PostgresRoundTrips?

    private init() {}

    /// The round trips counted so far.
    public var count: Int { value.withLock { $0 } }

    func add() { value.withLock { $0 += 1 } }

    /// Runs `body` and returns its value with the round trips it made.
    public static func count<T>(_ body: () async throws -> T) async rethrows -> (value: T, roundTrips: Int) {
        let counter = PostgresRoundTrips()
        let value = try await $current.withValue(counter) { try await body() }
        return (value, counter.count)
    }

    /// Counts one round trip for the running task, when it counts.
    static func record() { current?.add() }
}

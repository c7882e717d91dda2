import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// `chitieu work`: job workers alone, so they can run on other machines.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run job workers without the HTTP server (stops cleanly on SIGTERM: running jobs finish first).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Jobs run at once (default: CHITIEU_WORKERS or 2).") var concurrency: Int?
    @Option(help: "Seconds a job's lease lasts; a dead worker's jobs run again after it (default 30).") var lease = 30.0

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency: must be 1 or more") }
        if !(0.5...3600).contains(lease) { throw ValidationError("--lease: must be between 0.5 and 3600 seconds") }
    }

    func run() async throws {
        let logger = database.makeLogger()
        let count = concurrency ?? ProcessInfo.processInfo.environment["CHITIEU_WORKERS"].flatMap(Int.init) ?? 2
        // Handlers share a bounded pool; the claim loop and lease renewal need two more.
        let config = PostgresConfiguration(connectionString: database.appConnectionString, maxConnections: min(count, 16) + 2)
        let pool = PostgresPool(configuration: config, logger: logger)
        let worker = JobWorker(
            queue: JobQueue(pool: pool), handlers: StandardJobs.handlers(database: ChitieuDatabase(pool: pool)),
            configuration: JobWorkerConfiguration(
                concurrency: count, lease: .milliseconds(Int(lease * 1000)), renewEvery: .milliseconds(Int(lease * 1000 / 3)),
                rescueEvery: .milliseconds(Int(min(lease, 5) * 1000))),
            listen: config, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: PoolService(pool: pool)), .init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// `chitieu jobs …`: operate the queue.
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at and operate the job queue.", subcommands: [List.self, Show.self, Retry.self, Cancel.self, Stats.self])

    static func withQueue<T: Sendable>(_ options: DatabaseOptions, _ body: (JobQueue) async throws -> T) async throws -> T {
        try await withAdminDatabase(options) { db in try await body(JobQueue(pool: db.pool)) }
    }

    /// Moves a job by `body`, refused naming why unless the queue took the action `expected`; then says it.
    static func move(
        _ job: Move, expecting expected: JobLifecycle.Action, done: String, _ body: (JobQueue) async throws -> JobLifecycle.Action
    ) async throws {
        let action = try await withQueue(job.database, body)
        guard action == expected else { throw ChitieuError(.invalid, field: "id", reason: refusal(action)) }
        print("Job \(job.id) is \(done).")
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "pending, running, succeeded, failed or cancelled.") var state: String?
        @Option(help: "Job kind, e.g. allocate.") var kind: String?
        @Option(help: "At most this many.") var limit = 50

        func validate() throws {
            if let state, JobState(rawValue: state) == nil { throw ValidationError("--state: '\(state)' is not one of pending, running, succeeded, failed, cancelled") }
        }

        func perform() async throws {
            let jobs = try await Jobs.withQueue(database) { try await $0.list(state: state.flatMap(JobState.init), kind: kind, limit: limit) }
            let f = ISO8601DateFormatter()
            Output.print(
                output.format, columns: ["id", "kind", "province", "state", "attempts", "run_at", "last_error"],
                rows: jobs.map { [String($0.id), $0.kind, $0.provinceID.map(String.init) ?? "", $0.state.rawValue, "\($0.attempts)/\($0.maxAttempts)", f.string(from: $0.runAt), $0.lastError ?? ""] },
                jsonRows: jobs.map(jobJSON))
        }
    }

    struct Show: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The job id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let job = try await Jobs.withQueue(database) { try await $0.find(id) }
            Output.print(json: json, jobJSON(job), else: Output.fields(Jobs.fields(job)), terminator: "")
        }
    }

    /// A move of one job: the database and the job's id.
    struct Move: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The job id.") var id: Int64
    }

    struct Retry: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Run a failed or cancelled job again.")
        @OptionGroup var job: Move

        func perform() async throws { try await Jobs.move(job, expecting: .requeue, done: "pending again") { try await $0.retry(job.id) } }
    }

    struct Cancel: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a pending or running job.")
        @OptionGroup var job: Move

        func perform() async throws { try await Jobs.move(job, expecting: .cancel, done: "cancelled") { try await $0.cancel(job.id) } }
    }

    struct Stats: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Counts by state and kind, and the oldest pending job's age.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let stats = try await Jobs.withQueue(database) { try await $0.statistics() }
            Output.print(
                output.format, columns: ["kind", "state", "count"],
                rows: stats.counts.map { [$0.kind, $0.state, String($0.count)] },
                jsonRows: stats.counts.map { ["kind": $0.kind, "state": $0.state, "count": $0.count] })
            if output.format == .table {
                print("oldest pending: \(stats.oldestPendingSeconds.map { String(format: "%.1f s", $0) } ?? "none")")
            }
        }
    }
}

extension Jobs {
    /// A job for people: one field a line, times in RFC 3339.
    static func fields(_ j: Job) -> [(name: String, value: String)] {
        [
            ("id", String(j.id)), ("kind", j.kind), ("province", j.provinceID.map(String.init) ?? ""), ("state", j.state.rawValue),
            ("attempts", "\(j.attempts)/\(j.maxAttempts)"), ("priority", String(j.priority)), ("unique key", j.uniqueKey ?? ""),
            ("args", j.args), ("run at", timestamp(j.runAt)), ("lease until", timestamp(j.leaseUntil)), ("worker", j.worker ?? ""),
            ("created at", timestamp(j.createdAt)), ("finished at", timestamp(j.finishedAt)), ("last error", j.lastError ?? ""),
        ]
    }
}

func refusal(_ action: JobLifecycle.Action) -> String {
    if case .refuse(let reason) = action { return reason }
    return "\(action)"
}

func jobJSON(_ j: Job) -> [String: Any] {
    var object = Representation.job(j)
    object["worker"] = j.worker ?? NSNull()
    return object
}

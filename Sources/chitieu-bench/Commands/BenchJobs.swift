import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuJobs
import ChitieuStore
import Foundation
import Logging
import Postgres
import Synchronization

extension ChitieuBench {
    /// `chitieu-bench jobs`: the queue's throughput and latency.
    struct JobsBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jobs",
            abstract: "The job queue: enqueue rate, no-op drain with one and two worker processes, their claim batches, idle latency.",
            discussion: """
                Run it on a scratch database with no other workers (./Deploy/dev bench does). The drain inserts
                --jobs no-op jobs, then starts `chitieu work` processes and times until every job has succeeded.
                The mean claim batch is how many jobs a worker's statements claimed on average: a worker claims
                when half of its slots are free, so it is below --concurrency.
                """)
        @OptionGroup var database: DatabaseOptions
        @Option(help: "No-op jobs drained per run.") var jobs = 100_000
        @Option(help: "Jobs each worker process runs at once (its largest claim).") var concurrency = 100
        @Option(help: "Enqueues timed one by one.") var enqueues = 10_000
        @Option(help: "Idle latency samples.") var samples = 200

        func run() async throws {
            try await runReportingErrors { try await measure() }
        }

        /// A drain's figures: jobs per second, and the mean batch a worker process claimed.
        typealias Drain = (processes: Int, rate: Double, batch: Double)

        /// Measures and prints the figures; returns the drains, for `queue`'s ratios.
        @discardableResult
        func measure() async throws -> [Drain] {
            let url = database.adminConnectionString
            let logger = database.makeLogger(defaultLevel: .warning)
            let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 4), logger: logger)
            let queue = JobQueue(pool: pool)
            try await pool.query("DELETE FROM chitieu.job")

            // Enqueue rate: one job per statement, each its own transaction.
            let start = ContinuousClock.now
            for _ in 0..<enqueues { try await queue.enqueue(kind: "noop") }
            let enqueueRate = Double(enqueues) / (ContinuousClock.now - start).seconds
            try await pool.query("DELETE FROM chitieu.job")

            // Drain with worker processes.
            var drains: [Drain] = []
            for processes in [1, 2] {
                try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, \(jobs))")
                try await pool.query("VACUUM ANALYZE chitieu.job")
                // From the spawn of the processes (their start-up counts) to the last job
                // recorded done, both on the server's clock; the wait in between asks only
                // whether a job is left, through the partial indexes, so as not to load the server.
                let began = try await pool.query("SELECT clock_timestamp() AS t")[0].decode(Date.self, "t")
                let workers = try (0..<processes).map { _ in try spawnWorker(url: url) }
                while try await pool.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM chitieu.job WHERE state = 'pending')
                        OR EXISTS (SELECT 1 FROM chitieu.job WHERE state = 'running') AS left
                    """, prepared: true)[0].decode(Bool.self, "left")
                {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let ended = try await pool.query("SELECT max(finished_at) AS t FROM chitieu.job")[0].decode(Date.self, "t")
                let elapsed = ended.timeIntervalSince(began)
                for w in workers { w.terminate() }
                for w in workers { w.waitUntilExit() }
                // The size of the worker's transactions, for a pgbench run of the same shape:
                // a claim records the batch before it as done, so the jobs a worker finished
                // at one instant are one batch (a flush outside a claim counts as one too).
                let batch = try await pool.query(
                    """
                    SELECT count(*)::float8 / greatest(count(DISTINCT (worker, finished_at)), 1) AS batch
                    FROM chitieu.job WHERE state = 'succeeded'
                    """)[0].decode(Double.self, "batch")
                drains.append((processes, Double(jobs) / elapsed, batch))
                try await pool.query("DELETE FROM chitieu.job")
            }

            // Idle latency: an idle in-process worker, jobs enqueued one at a time.
            let started = Mutex<[Int64: ContinuousClock.Instant]>([:])
            let worker = JobWorker(
                queue: queue, handlers: ["noop": { job in started.withLock { $0[job.id] = ContinuousClock.now } }],
                configuration: JobWorkerConfiguration(concurrency: 1, pollInterval: .seconds(30)),
                listen: PostgresConfiguration(connectionString: url), logger: logger)
            let task = Task { try await worker.run() }
            try await Task.sleep(for: .milliseconds(500))
            var latencies: [Double] = []
            for _ in 0..<samples {
                let sent = ContinuousClock.now
                let id = try await queue.enqueue(kind: "noop").id
                while started.withLock({ $0[id] }) == nil { try await Task.sleep(for: .microseconds(200)) }
                latencies.append((started.withLock { $0[id]! } - sent).seconds * 1000)
                try await Task.sleep(for: .milliseconds(5))
            }
            task.cancel()
            try await task.value
            try await pool.query("DELETE FROM chitieu.job")
            await pool.shutdown()

            latencies.sort()
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            print("chitieu-bench jobs")
            var rows = [["enqueue, one job per transaction", String(format: "%.0f jobs/s", enqueueRate)]]
            for (processes, rate, _) in drains {
                rows.append(["drain \(jobs) no-op jobs, \(processes) worker process\(processes > 1 ? "es" : "") × \(concurrency)", String(format: "%.0f jobs/s", rate)])
            }
            for (processes, _, batch) in drains {
                rows.append(["mean claim batch, \(processes) worker process\(processes > 1 ? "es" : "") × \(concurrency)", String(format: "%.0f jobs", batch)])
            }
            rows.append(["idle latency, enqueue to start (median)", String(format: "%.2f ms", percentile(0.5))])
            rows.append(["idle latency, enqueue to start (p99)", String(format: "%.2f ms", percentile(0.99))])
            print(Output.table(columns: ["what", "figure"], rows: rows), terminator: "")
            return drains
        }

        /// Starts `chitieu work` from the `chitieu` executable beside this one (built with it), so
        /// the workers measured are the production ones.
        func spawnWorker(url: String) throws -> Process {
            let chitieu = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("chitieu")
            guard FileManager.default.isExecutableFile(atPath: chitieu.path) else {
                throw ChitieuError(.invalid, field: "chitieu", reason: "no executable '\(chitieu.path)' beside chitieu-bench; build both products (swift build --product chitieu)")
            }
            let process = Process()
            process.executableURL = chitieu
            process.arguments = ["work", "--concurrency", String(concurrency), "--database-url", url, "--log-level", "error"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
    }
}

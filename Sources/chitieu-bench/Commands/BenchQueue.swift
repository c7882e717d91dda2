import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench queue`: the job queue beside the floors of any PostgreSQL queue and a peer
    /// queue, on one server, and the ratios between them.
    struct QueueBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract: "The job queue against its floors: `jobs`, pgbench draining the same jobs one statement per batch, pgqueuer, and the ratios.",
            discussion: """
                Runs `jobs`, then `jobs` with 500 jobs per worker process, then pgbench draining --jobs no-op jobs with
                1 and 2 clients: claim-and-complete in batches of 100 (claim_complete.sql: no lease, the lowest floor),
                and complete-and-claim under a lease (claim_lease.sql, chitieu's own shape) in batches of 100, 500 and
                the worker's own mean batch; then, with --peer-url, the same drain with pgqueuer in that database
                (pgqueuer_drain.py, batches of 100, 500 and 1,000). The ratios are of this one run on one server.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "No-op jobs drained per run, by the workers, pgbench and pgqueuer alike.") var jobs = 100_000
        @Option(help: "The pgbench program.") var pgbench = "pgbench"
        @Option(help: "The database pgbench drains, as a libpq URL (default: the database above).") var pgbenchURL: String?
        @Option(help: "A scratch database for pgqueuer, as a libpq URL; without it the peer comparison is skipped.") var peerURL: String?
        @Option(help: "The Python that has pgqueuer and asyncpg.") var python = "python3"
        @Option(help: "The directory of the pgbench scripts and pgqueuer_drain.py (default: Deploy/bench of the checkout).") var scripts: String?

        func perform() async throws {
            let directory = try Programs.scripts(scripts)
            var forwarded = ["--jobs", String(jobs)]
            if let url = database.databaseURL { forwarded += ["--database-url", url] }
            if let level = database.logLevel { forwarded += ["--log-level", level] }
            try await JobsBench.parse(forwarded).measure()
            let drains = try await JobsBench.parse(forwarded + ["--concurrency", "500", "--enqueues", "100", "--samples", "20"]).measure()
            // pgbench also runs the worker's shape at the batch one worker process claimed on average.
            let mean = drains.first { $0.processes == 1 }.map { Int($0.batch.rounded(.toNearestOrEven)) }
            let own = mean.flatMap { [100, 500].contains($0) ? nil : $0 }

            let floors = try await drainWithPGBench(directory: directory, ownBatch: own)
            var peer: Double?
            if let peerURL {
                for batch in [100, 500, 1000] {
                    let (status, output) = try Programs.capture(python, [directory.appendingPathComponent("pgqueuer_drain.py").path, peerURL, String(jobs), String(batch)])
                    let line = output.split(separator: "\n").last.map(String.init) ?? ""
                    guard status == 0, let rate = Programs.figure(line, fromEnd: 1) else {
                        Output.note("pgqueuer run failed (exit \(status))")
                        continue
                    }
                    print(line)
                    peer = max(peer ?? 0, rate)
                }
            }

            func ratio(_ a: Double?, _ b: Double?) -> String {
                guard let a, let b, b > 0 else { return "–" }
                return String(format: "%.2f", a / b)
            }
            let one = drains.first { $0.processes == 1 }?.rate
            let two = drains.first { $0.processes == 2 }?.rate
            print("ratios (one run, one server):")
            print("  1 worker process ÷ pgqueuer at its best batch                    \(ratio(one, peer)) (aim ≥ 1.5)")
            print("  1 worker process ÷ pgbench, same shape, its own batch (\(mean.map(String.init) ?? "–")), 1 client \(ratio(one, mean.flatMap { floors[Floor(lease: true, batch: $0, clients: 1)] })) (aim ≥ 0.6)")
            print("  1 worker process ÷ pgbench, same shape, batch 500, 1 client          \(ratio(one, floors[Floor(lease: true, batch: 500, clients: 1)]))")
            print("  2 worker processes ÷ pgbench, same shape, batch 500, 2 clients       \(ratio(two, floors[Floor(lease: true, batch: 500, clients: 2)]))")
        }

        /// One pgbench drain: the script (under a lease or not), the batch, the clients.
        struct Floor: Hashable {
            var lease: Bool
            var batch: Int
            var clients: Int
        }

        /// Drains the no-op jobs with pgbench, one statement per batch, in each shape; prints a
        /// line per run and returns the rates.
        func drainWithPGBench(directory: URL, ownBatch: Int?) async throws -> [Floor: Double] {
            let url = database.adminConnectionString
            let connection = try await PostgresConnection.connect(
                PostgresConfiguration(connectionString: url), logger: database.makeLogger(defaultLevel: .warning))
            let target = pgbenchURL ?? url
            var rates: [Floor: Double] = [:]
            for (name, file, lease) in [("claim-and-complete", "claim_complete.sql", false), ("complete-and-claim under a lease", "claim_lease.sql", true)] {
                for batch in [100, 500] + (ownBatch.map { [$0] } ?? []) where lease || batch == 100 {
                    for clients in [1, 2] where !(batch == ownBatch && clients == 2) {
                        try await connection.executeScript("DELETE FROM chitieu.job")
                        try await connection.executeScript("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, \(jobs))")
                        try await connection.executeScript("VACUUM ANALYZE chitieu.job")
                        let start = ContinuousClock.now
                        let (status, _) = try Programs.capture(pgbench, [
                            "-n", "-M", "prepared", "-D", "ids={}", "-D", "batch=\(batch)", "-c", String(clients), "-j", String(clients),
                            "-t", String(jobs / batch / clients + 10), "-f", directory.appendingPathComponent(file).path,
                        ] + (target.isEmpty ? [] : [target]))
                        let elapsed = (ContinuousClock.now - start).seconds
                        if status != 0 { Output.note("pgbench failed (exit \(status))") }
                        let left = try await connection.query("SELECT count(*) AS left FROM chitieu.job WHERE state <> 'succeeded'")[0].decode(Int.self, "left")
                        let rate = Double(jobs - left) / elapsed
                        rates[Floor(lease: lease, batch: batch, clients: clients)] = rate
                        print("pgbench \(name), batch \(batch), \(clients) client(s): \(String(format: "%.0f", rate)) jobs/s (\(left) left)")
                    }
                }
            }
            try await connection.executeScript("DELETE FROM chitieu.job")
            await connection.close()
            return rates
        }
    }
}

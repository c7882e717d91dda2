import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Worker processes")
struct WorkerProcessTests {
    @Test func twoWorkerProcessesShareTheQueueAndNeverRunAJobTwice() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, 3000)")
        let executable = try ChitieuCommand.executable()
        func spawn() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["work", "--concurrency", "20", "--database-url", db.appConnectionString, "--log-level", "error"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let workers = [try spawn(), try spawn()]
        let deadline = ContinuousClock.now + .seconds(60)
        while try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state <> 'succeeded'")[0].decode(Int.self, "n") > 0,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        // SIGTERM: each stops claiming, finishes what it holds, and exits 0.
        for w in workers { w.terminate() }
        for w in workers { w.waitUntilExit() }
        #expect(workers.allSatisfy { $0.terminationStatus == 0 })
        let rows = try await pool.query(
            """
            SELECT count(*) FILTER (WHERE state = 'succeeded') AS done, max(attempts) AS most_attempts,
                   count(DISTINCT worker) AS workers
            FROM chitieu.job
            """)
        #expect(try rows[0].decode(Int.self, "done") == 3000)
        // A job claimed twice would show a second attempt.
        #expect(try rows[0].decode(Int.self, "most_attempts") == 1)
        #expect(try rows[0].decode(Int.self, "workers") == 2)
        await pool.shutdown()
    }

    @Test func aWorkerKilledMidJobHasItsJobsRunByAnotherAfterTheLease() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, 20000)")
        let executable = try ChitieuCommand.executable()
        func spawn(lease: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["work", "--concurrency", "50", "--lease", lease, "--database-url", db.appConnectionString, "--log-level", "error"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let first = try spawn(lease: "1")
        // Kill it with SIGKILL while it holds jobs.
        var held = 0
        let until = ContinuousClock.now + .seconds(30)
        while held == 0 && ContinuousClock.now < until {
            held = try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state = 'running'")[0].decode(Int.self, "n")
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let orphaned = try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state = 'running'")[0].decode(Int.self, "n")
        #expect(held > 0 && orphaned > 0, "the worker held no job when it was killed")
        // The survivor's own lease is long, so that on a loaded machine it never loses a job itself.
        let second = try spawn(lease: "10")
        let deadline = ContinuousClock.now + .seconds(90)
        while try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state <> 'succeeded'")[0].decode(Int.self, "n") > 0,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        second.terminate()
        second.waitUntilExit()
        let rows = try await pool.query(
            "SELECT count(*) FILTER (WHERE state = 'succeeded') AS done, count(*) FILTER (WHERE attempts = 2) AS rerun, max(attempts) AS most FROM chitieu.job")
        #expect(try rows[0].decode(Int.self, "done") == 20000)
        // The dead worker's jobs ran again, once: a second attempt, never a third.
        #expect(try rows[0].decode(Int.self, "rerun") >= orphaned)
        #expect(try rows[0].decode(Int.self, "most") == 2)
        await pool.shutdown()
    }
}

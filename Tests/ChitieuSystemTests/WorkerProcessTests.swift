import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Worker processes")
struct WorkerProcessTests {
    /// Starts `chitieu work` on a test database.
    func spawnWorker(_ db: TestDatabase, concurrency: Int, lease: String? = nil) throws -> Process {
        try ChitieuCommand.startWorker(databaseURL: db.appConnectionString, concurrency: concurrency, lease: lease)
    }

    /// Keeps worker processes from recording successes while it is held: recording one waits
    /// for an advisory lock the hold has. A worker claims a batch, runs it, and stays stuck with
    /// it at its next claim (which records the batch's successes in the same statement), so a
    /// test sees workers holding jobs without racing them.
    struct SuccessHold {
        let connection: PostgresConnection

        init(_ db: TestDatabase) async throws {
            connection = try await db.superuserConnection()
            try await connection.executeScript(
                """
                CREATE FUNCTION chitieu.test_hold_success() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_advisory_xact_lock_shared(7700); RETURN NEW; END $$;
                CREATE TRIGGER test_hold_success BEFORE UPDATE ON chitieu.job
                FOR EACH ROW WHEN (NEW.state = 'succeeded') EXECUTE FUNCTION chitieu.test_hold_success();
                SELECT pg_advisory_lock(7700);
                """)
        }

        /// How many worker sessions wait on the hold.
        func stuck() async throws -> Int {
            try await connection.query(
                """
                SELECT count(*)::int FROM pg_stat_activity
                WHERE datname = current_database() AND usename = 'chitieu_app' AND wait_event = 'advisory'
                """)[0].decode(Int.self, at: 0)
        }

        /// Runs `body`; should it throw, the processes `stopping` gives are killed and the hold
        /// ends, so no worker is left stuck on it.
        func whileHeld(stopping processes: () -> [Process], _ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch {
                for process in processes() where process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    await process.exited()
                }
                try? await release(terminating: true)
                throw error
            }
        }

        /// Ends the hold: `terminating` first ends every worker session (those of workers killed
        /// meanwhile, which the server would notice only when it next reads from them).
        func release(terminating: Bool = false) async throws {
            if terminating {
                try await connection.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'chitieu_app'")
            }
            // Unlocked before the trigger goes: dropping it waits for the stuck sessions' statements.
            try await connection.query("SELECT pg_advisory_unlock(7700)")
            try await connection.executeScript("DROP TRIGGER test_hold_success ON chitieu.job; DROP FUNCTION chitieu.test_hold_success();")
            await connection.close()
        }
    }

    @Test func twoWorkerProcessesShareTheQueueAndNeverRunAJobTwice() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, 3000)")
        // Both take a share: held until each is stuck with a batch, so on a loaded machine the
        // first to start cannot drain everything before the second has begun.
        // Their leases outlast the hold, so no job is rescued while they are stuck.
        func spawn() throws -> Process { try spawnWorker(db, concurrency: 20, lease: "300") }
        var workers: [Process] = []
        let hold = try await SuccessHold(db)
        try await hold.whileHeld(stopping: { workers }) {
            workers = [try spawn(), try spawn()]
            #expect(
                try await eventually {
                    try await pool.query("SELECT count(DISTINCT worker)::int FROM chitieu.job WHERE state = 'running'")[0].decode(Int.self, at: 0) == 2
                }, "the two workers never both held jobs")
        }
        try await hold.release()
        _ = try await eventually(every: .milliseconds(50)) {
            try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state <> 'succeeded'")[0].decode(Int.self, "n") == 0
        }
        // SIGTERM: each stops claiming, finishes what it holds, and exits 0.
        for w in workers { w.terminate() }
        for w in workers { await w.exited() }
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
        try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'noop' FROM generate_series(1, 5000)")
        func spawn(lease: String) throws -> Process { try spawnWorker(db, concurrency: 50, lease: lease) }
        // Caught holding jobs, it is killed with SIGKILL.
        // Its lease is short for the test to be quick, long enough that its own rescue does not
        // take its batch back before it is caught.
        let hold = try await SuccessHold(db)
        var started: [Process] = []
        try await hold.whileHeld(stopping: { started }) {
            started = [try spawn(lease: "5")]
            #expect(try await eventually { try await hold.stuck() > 0 }, "the worker never held jobs")
        }
        let first = started[0]
        let held = try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state = 'running'")[0].decode(Int.self, "n")
        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        try await hold.release(terminating: true)
        let orphaned = try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state = 'running'")[0].decode(Int.self, "n")
        #expect(held > 0 && orphaned > 0, "the worker held no job when it was killed")
        // The survivor's own lease is long, so that on a loaded machine it never loses a job itself.
        let second = try spawn(lease: "300")
        _ = try await eventually(timeout: .seconds(120), every: .milliseconds(100)) {
            try await pool.query("SELECT count(*) AS n FROM chitieu.job WHERE state <> 'succeeded'")[0].decode(Int.self, "n") == 0
        }
        second.terminate()
        await second.exited()
        let rows = try await pool.query(
            "SELECT count(*) FILTER (WHERE state = 'succeeded') AS done, count(*) FILTER (WHERE attempts = 2) AS rerun, max(attempts) AS most FROM chitieu.job")
        #expect(try rows[0].decode(Int.self, "done") == 5000)
        // The dead worker's jobs ran again, once: a second attempt, never a third.
        #expect(try rows[0].decode(Int.self, "rerun") >= orphaned)
        #expect(try rows[0].decode(Int.self, "most") == 2)
        await pool.shutdown()
    }

    /// A worker killed with SIGKILL in the middle of an allocation: its transaction never
    /// commits; another worker runs the job after the lease; the allocation is applied once.
    @Test func aKilledAllocationIsAppliedExactlyOnce() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let laoCai = try await provinceWithTarget(
            "10", indicator: IndicatorDraft(code: "DA8-01", name: "Tổ truyền thông cộng đồng", measureUnit: "tổ", kind: .stock), target: 424, owner)
        let job = try await AllocationStore(database: owner).request(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))

        // Hold the target table, so the allocation blocks at its first write, mid-job.
        let blocker = try await db.superuserConnection()
        try await blocker.query("BEGIN")
        try await blocker.query("LOCK TABLE chitieu.target IN SHARE MODE")
        func spawn(lease: String) throws -> Process { try spawnWorker(db, concurrency: 1, lease: lease) }
        let first = try spawn(lease: "1")
        let pool = db.ownerPool()
        func jobState() async throws -> (String, Int) {
            let row = try await pool.query("SELECT state, attempts FROM chitieu.job WHERE job_id = \(job.id)")[0]
            return (try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1))
        }
        // Wait until the job runs and its statement waits for the lock (watched from another
        // connection: a transaction sees one snapshot of pg_stat_activity).
        let watcher = try await db.superuserConnection()
        let waiting = try await eventually(every: .milliseconds(10)) {
            try await watcher.query(
                "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND usename = 'chitieu_app' AND datname = current_database()")[0].decode(Bool.self, at: 0)
        }
        await watcher.close()
        #expect(waiting, "the allocation never reached its first write")
        #expect(try await jobState().0 == "running")
        kill(first.processIdentifier, SIGKILL)
        await first.exited()
        try await blocker.query("COMMIT")
        // Its session ends once the server finds the client gone, when the statement it waited
        // in is done.
        #expect(
            try await eventually {
                try await blocker.query(
                    "SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = 'chitieu_app' AND datname = current_database()")[0].decode(Bool.self, at: 0)
            }, "the killed worker's session never ended")
        await blocker.close()

        // The killed run left all of its allocation or none of it: its writes and its COMMIT went
        // in one round trip, so the server may finish them after the client is gone, but never
        // a part of them.
        func allocated() async throws -> (cells: Int, events: Int) {
            let row = try await owner.withTenant(laoCai.id) { tx in
                try await tx.query(
                    """
                    SELECT (SELECT count(*) FROM chitieu.target WHERE province_id = \(laoCai.id) AND origin = 'allocated')::int,
                           (SELECT count(*) FROM chitieu.audit_event WHERE province_id = \(laoCai.id) AND action = 'target.allocate')::int
                    """)[0]
            }
            return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
        }
        let leftovers = try await allocated()
        #expect((leftovers.cells == 0 && leftovers.events == 0) || (leftovers.cells > 0 && leftovers.events == 1), "\(leftovers)")

        // Another worker takes the job after the lease and applies the allocation once.
        let second = try spawn(lease: "30")
        _ = try await eventually(every: .milliseconds(50)) { try await jobState().0 == "succeeded" }
        second.terminate()
        await second.exited()
        let (state, attempts) = try await jobState()
        #expect(state == "succeeded" && attempts == 2)
        let applied = try await owner.withTenant(laoCai.id) { tx in
            try await tx.query(
                """
                SELECT (SELECT count(*) FROM chitieu.audit_event WHERE province_id = \(laoCai.id) AND action = 'target.allocate')::int,
                       (SELECT sum(value) FROM chitieu.target t JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id
                        WHERE t.province_id = \(laoCai.id) AND u.level = 'commune' AND t.year IS NULL)::int
                """)[0]
        }
        #expect(try applied.decode(Int.self, at: 0) == 1, "the allocation was recorded more than once")
        if leftovers.events == 1 { #expect(try await allocated().cells == leftovers.cells, "the killed run's allocation was not whole") }
        #expect(try applied.decode(Int.self, at: 1) == 424, "the communes' phase targets do not add up to the province's")
        // Running it again changes nothing: the state is the allocation, applied once.
        let again = try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(again.changed == 0)
        await pool.shutdown()
        await owner.pool.shutdown()
    }
}

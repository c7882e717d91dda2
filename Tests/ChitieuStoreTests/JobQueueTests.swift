import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Synchronization
import Testing

@Suite("The job queue")
struct JobQueueTests {
    /// A queue over the app pool of a fresh database (the test shuts the pool down).
    static func freshQueue(maxConnections: Int = 4, backoff: JobLifecycle.Backoff = JobLifecycle.Backoff()) async throws -> (JobQueue, PostgresPool) {
        let pool = try await TestDatabase.make().appPool(maxConnections: maxConnections)
        var queue = JobQueue(pool: pool)
        queue.backoff = backoff
        return (queue, pool)
    }

    func count(_ pool: PostgresPool, _ condition: String = "true") async throws -> Int {
        try await pool.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM chitieu.job WHERE \(condition)"))[0].decode(Int.self, "n")
    }

    @Test func enqueueIsTransactional() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await pool.withTransaction { tx in
                try await JobQueue.enqueue(on: tx, kind: "noop")
                throw Abort()
            }
        }
        #expect(try await count(pool) == 0)
        _ = try await pool.withTransaction { tx in try await JobQueue.enqueue(on: tx, kind: "noop") }
        #expect(try await count(pool) == 1)
        await pool.shutdown()
    }

    /// Workers claiming the pending job under a key while changes enqueue under it, each change
    /// staying open a moment after its enqueue: no job starts before the changes it absorbed
    /// have committed. Each change leaves a marker naming its job; what a job sees when it starts
    /// is what it will ever have. One change stays open until a claimer waits for it.
    @Test func aJobStartsOnlyAfterTheChangesItAbsorbedHaveCommitted() async throws {
        let db = try await TestDatabase.make()
        let su = try await db.superuserConnection()
        try await su.executeScript(
            "CREATE TABLE public.enqueue_marker (job_id bigint NOT NULL); GRANT SELECT, INSERT ON public.enqueue_marker TO chitieu_app")
        let pool = db.appPool(maxConnections: 6)
        let queue = JobQueue(pool: pool)
        final class Flag: Sendable { let raised = Mutex(false) }
        let done = Flag()
        struct Start: Sendable { var job: Int64; var seen: Int; var waited: Bool }
        let starts = try await withThrowingTaskGroup(of: [Start].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var starts: [Start] = []
                    while !done.raised.withLock({ $0 }) {
                        for job in try await queue.claim(worker: "w", limit: 5, lease: .seconds(30)) {
                            try await queue.awaitEnqueuers(of: job)
                            let seen = try await pool.query("SELECT count(*) FROM public.enqueue_marker WHERE job_id = \(job.id)")[0].decode(Int.self, at: 0)
                            starts.append(Start(job: job.id, seen: seen, waited: job.enqueuersOpen))
                            try await queue.complete(job.id, worker: "w")
                        }
                    }
                    return starts
                }
            }
            for _ in 0..<3 {
                group.addTask {
                    for _ in 0..<150 {
                        try await pool.withTransaction { tx in
                            let id = try await JobQueue.enqueue(on: tx, kind: "progress", uniqueKey: "progress:10:1:1").id
                            try await tx.query("INSERT INTO public.enqueue_marker (job_id) VALUES (\(id))")
                            try await Task.sleep(for: .milliseconds(1))
                        }
                    }
                    return []
                }
            }
            // One change certainly stays open across a claim, under a key of its own: it joins a
            // job not due yet, makes it due from another connection, and commits only once a
            // claimer waits for it (a session waits for the key's advisory lock: no other
            // enqueuer uses the key, so only a claimer's wait for its enqueuers can).
            group.addTask {
                let later = try await queue.enqueue(kind: "progress", uniqueKey: "progress:10:1:2", runAt: Date().addingTimeInterval(3600)).id
                try await pool.withTransaction { tx in
                    let joined = try await JobQueue.enqueue(on: tx, kind: "progress", uniqueKey: "progress:10:1:2")
                    #expect(joined.id == later && joined.coalesced)
                    try await tx.query("INSERT INTO public.enqueue_marker (job_id) VALUES (\(joined.id))")
                    try await su.query("UPDATE chitieu.job SET run_at = now() WHERE job_id = \(later)")
                    let awaited = try await eventually(every: .milliseconds(1)) {
                        try await su.query(
                            """
                            SELECT count(*) > 0 FROM pg_locks
                            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                              AND classid = 1667919714 AND objid::bigint = (hashtext('progress:10:1:2')::bigint + 4294967296) % 4294967296
                            """)[0].decode(Bool.self, at: 0)
                    }
                    #expect(awaited, "no claim ever waited for the change held open")
                }
                return []
            }
            var starts: [Start] = []
            var enqueuers = 4
            while let batch = try await group.next() {
                if batch.isEmpty {
                    enqueuers -= 1
                    if enqueuers == 0 { done.raised.withLock { $0 = true } }
                }
                starts += batch
            }
            return starts
        }
        var final: [Int64: Int] = [:]
        for row in try await pool.query("SELECT job_id, count(*) FROM public.enqueue_marker GROUP BY job_id") {
            final[try row.decode(Int64.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        #expect(final.values.reduce(0, +) == 451)
        #expect(!starts.isEmpty)
        let early = starts.filter { $0.seen != final[$0.job, default: 0] }
        #expect(early.count == 0, "\(early.count) of \(starts.count) jobs started before changes they absorbed had committed")
        // The race is real: claims found changes still open and waited for them (at least the
        // one held open, whatever the machine's scheduling).
        #expect(starts.contains { $0.waited })
        await su.close()
        await pool.shutdown()
    }

    @Test func aBurstUnderOneUniqueKeyYieldsOnePendingJob() async throws {
        let (queue, pool) = try await Self.freshQueue(maxConnections: 4)
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<200 {
                group.addTask { try await queue.enqueue(kind: "progress", uniqueKey: "progress:10:2021-2025").id }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await count(pool, "state = 'pending'") == 1)
        // Once it runs, the next change enqueues a new one.
        let claimed = try await queue.claim(worker: "w", limit: 10, lease: .seconds(30))
        #expect(claimed.count == 1)
        let next = try await queue.enqueue(kind: "progress", uniqueKey: "progress:10:2021-2025")
        #expect(!next.coalesced && next.id != claimed[0].id)
        await pool.shutdown()
    }

    /// A job that fails or whose worker stops goes back to pending, unless a newer job is
    /// pending under its key: that one will do the same work, and this one is cancelled.
    @Test func aFailedJobGivesWayToANewerOnePendingUnderItsKey() async throws {
        let (queue, pool) = try await Self.freshQueue(backoff: .init(baseSeconds: 0.05, capSeconds: 0.1))
        // Failed while a newer job is pending: cancelled, naming it.
        let first = try await queue.enqueue(kind: "progress", uniqueKey: "progress:1:1:1").id
        #expect(try await queue.claim(worker: "w", limit: 1, lease: .seconds(30)).map(\.id) == [first])
        let newer = try await queue.enqueue(kind: "progress", uniqueKey: "progress:1:1:1")
        #expect(!newer.coalesced)
        _ = try await queue.fail(first, worker: "w", error: "boom")
        let failed = try await queue.find(first)
        #expect(failed.state == .cancelled)
        #expect(failed.lastError == "boom (superseded by job \(newer.id), pending under the same key)")
        #expect(try await queue.find(newer.id).state == .pending)
        // Retried by hand while it is still pending: refused, naming it.
        let refused = await expectError(.conflicts) { try await queue.retry(first) }
        #expect(refused?.reason.contains("job \(newer.id) is pending") == true)
        // Its worker stopped while a newer job is pending: the same.
        #expect(try await queue.claim(worker: "w", limit: 1, lease: .milliseconds(10)).map(\.id) == [newer.id])
        let third = try await queue.enqueue(kind: "progress", uniqueKey: "progress:1:1:1").id
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await queue.rescueExpired() == 1)
        #expect(try await queue.find(newer.id).state == .cancelled)
        #expect(try await queue.find(third).state == .pending)
        // With none pending, a failure is tried again as before.
        #expect(try await queue.claim(worker: "w", limit: 1, lease: .seconds(30)).map(\.id) == [third])
        _ = try await queue.fail(third, worker: "w", error: "boom")
        #expect(try await queue.find(third).state == .pending)
        await pool.shutdown()
    }

    @Test func concurrentClaimsNeverShareAJob() async throws {
        let (queue, pool) = try await Self.freshQueue(maxConnections: 4)
        for _ in 0..<300 { try await queue.enqueue(kind: "noop") }
        let taken = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for w in 0..<3 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let jobs = try await queue.claim(worker: "w\(w)", limit: 7, lease: .seconds(30))
                        if jobs.isEmpty { return mine }
                        mine += jobs.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(taken.count == 300)
        #expect(Set(taken).count == 300)
        await pool.shutdown()
    }

    @Test func failuresRetryWithBackOffThenFailKeepingTheError() async throws {
        let (queue, pool) = try await Self.freshQueue(backoff: .init(baseSeconds: 3600, capSeconds: 36000))
        let id = try await queue.enqueue(kind: "noop", maxAttempts: 2).id
        _ = try await queue.claim(worker: "w", limit: 1, lease: .seconds(30))
        let failedAt = Date()
        let first = try await queue.fail(id, worker: "w", error: "mạng chập chờn")
        guard case .retry(let delay, _) = first else { Issue.record("no retry: \(first)"); return }
        #expect((1800...5400).contains(delay))
        var job = try await queue.find(id)
        #expect(job.state == .pending && job.lastError == "mạng chập chờn")
        // Measured from the failure, not from now: a loaded machine may stall the test in between.
        #expect(job.runAt.timeIntervalSince(failedAt) > 1500)
        #expect(try await queue.claim(worker: "w", limit: 1, lease: .seconds(30)).isEmpty, "not due yet")
        try await pool.query("UPDATE chitieu.job SET run_at = now() WHERE job_id = \(id)")
        _ = try await queue.claim(worker: "w", limit: 1, lease: .seconds(30))
        #expect(try await queue.fail(id, worker: "w", error: "lần cuối") == .fail(error: "lần cuối"))
        job = try await queue.find(id)
        #expect(job.state == .failed && job.attempts == 2 && job.lastError == "lần cuối" && job.finishedAt != nil)
        #expect(try await queue.retry(id) == .requeue)
        #expect(try await queue.find(id).state == .pending)
        await pool.shutdown()
    }

    @Test func anExpiredLeaseIsRescuedAndTheOldWorkersResultIgnored() async throws {
        let (queue, pool) = try await Self.freshQueue()
        let id = try await queue.enqueue(kind: "noop").id
        _ = try await queue.claim(worker: "dead", limit: 1, lease: .milliseconds(100))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await queue.rescueExpired() == 1)
        try await pool.query("UPDATE chitieu.job SET run_at = now() WHERE job_id = \(id)")
        let again = try await queue.claim(worker: "alive", limit: 1, lease: .seconds(30))
        #expect(again.first?.attempts == 2)
        #expect(try await queue.complete(id, worker: "dead") == false)
        #expect(try await queue.complete(id, worker: "alive") == true)
        #expect(try await queue.find(id).state == .succeeded)
        await pool.shutdown()
    }

    @Test func cancelPendingAndRunningButNotFinished() async throws {
        let (queue, pool) = try await Self.freshQueue()
        let pending = try await queue.enqueue(kind: "noop").id
        #expect(try await queue.cancel(pending) == .cancel)
        #expect(try await queue.find(pending).state == .cancelled)
        let running = try await queue.enqueue(kind: "noop").id
        _ = try await queue.claim(worker: "w", limit: 1, lease: .seconds(30))
        #expect(try await queue.cancel(running) == .cancel)
        #expect(try await queue.complete(running, worker: "w") == false)
        #expect(try await queue.find(running).state == .cancelled)
        if case .refuse = try await queue.cancel(running) {} else { Issue.record("cancelled twice") }
        await expectError(.unprocessable) { try await queue.cancel(999_999) }
        await pool.shutdown()
    }

    @Test func aWorkerRunsJobsRetriesFailuresAndStopsCleanly() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool(maxConnections: 6)
        var queue = JobQueue(pool: pool)
        queue.backoff = .init(baseSeconds: 0.05, capSeconds: 0.1)
        let runs = Mutex<[Int64: Int]>([:])
        let handlers: [String: JobHandler] = [
            "record": { job in runs.withLock { $0[job.id, default: 0] += 1 } },
            "flaky": { job in
                let n = runs.withLock { $0[job.id, default: 0] += 1; return $0[job.id]! }
                if n < 3 { throw JobWorkerError(description: "attempt \(n) fails") }
            },
        ]
        let worker = JobWorker(
            queue: queue, handlers: handlers,
            configuration: JobWorkerConfiguration(concurrency: 3, pollInterval: .seconds(3600)),
            listen: PostgresConfiguration(connectionString: db.appConnectionString), logger: TestDatabase.logger)
        try await worker.whileRunning {
            var ids: [Int64] = []
            for _ in 0..<40 { ids.append(try await queue.enqueue(kind: "record").id) }
            let flaky = try await queue.enqueue(kind: "flaky", maxAttempts: 5).id
            let unknown = try await queue.enqueue(kind: "no-such-kind", maxAttempts: 1).id
            _ = try await eventually(every: .milliseconds(50)) { try await count(pool, "state IN ('succeeded', 'failed')") == 42 }
            #expect(runs.withLock { r in ids.allSatisfy { r[$0] == 1 } }, "every job ran exactly once")
            #expect(runs.withLock { $0[flaky] } == 3)
            #expect(try await queue.find(flaky).state == .succeeded)
            let failed = try await queue.find(unknown)
            #expect(failed.state == .failed && failed.lastError?.contains("no-such-kind") == true)
            // Idle, with an hour's poll: a new job still starts at once, because the enqueue's NOTIFY wakes the worker.
            let late = try await queue.enqueue(kind: "record").id
            _ = try await eventually(timeout: .seconds(120), every: .milliseconds(1)) { runs.withLock { $0[late] } != nil }
            #expect(runs.withLock { $0[late] } == 1, "the idle worker was not woken by NOTIFY")
        }
        await pool.shutdown()
    }

    /// A worker whose own leases are long (renewed rarely) still rescues a dead worker's jobs
    /// at its rescue interval, not at its renewal's.
    @Test func aWorkerWithALongLeaseRescuesADeadWorkersJobsAtItsRescueInterval() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        let job = try await queue.enqueue(kind: "record").id
        _ = try await queue.claim(worker: "dead", limit: 1, lease: .milliseconds(100))
        let ran = Mutex(0)
        let worker = JobWorker(
            queue: queue, handlers: ["record": { _ in ran.withLock { $0 += 1 } }],
            configuration: JobWorkerConfiguration(
                concurrency: 2, lease: .seconds(3600), renewEvery: .seconds(1200), pollInterval: .milliseconds(50), rescueEvery: .milliseconds(100)),
            listen: PostgresConfiguration(connectionString: db.appConnectionString), logger: TestDatabase.logger)
        try await worker.whileRunning {
            #expect(try await eventually { ran.withLock { $0 } == 1 }, "the dead worker's job was not rescued")
            let rescued = try await queue.find(job)
            #expect(rescued.attempts == 2 && rescued.worker == worker.name)
        }
        await pool.shutdown()
    }

    /// A change joined a pending job and is still open when a worker claims the job: the
    /// worker starts it only once the change has committed.
    @Test func aWorkerStartsAJobOnlyOnceTheChangesItAbsorbedHaveCommitted() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        let job = try await queue.enqueue(kind: "record", uniqueKey: "record:1").id
        let change = try await PostgresConnection.connect(PostgresConfiguration(connectionString: db.appConnectionString), logger: TestDatabase.logger)
        try await change.query("BEGIN")
        let joined = try await JobQueue.enqueue(on: change, kind: "record", uniqueKey: "record:1")
        #expect(joined.id == job && joined.coalesced)
        let ran = Mutex<ContinuousClock.Instant?>(nil)
        let worker = JobWorker(
            queue: queue, handlers: ["record": { _ in ran.withLock { $0 = ContinuousClock.now } }],
            configuration: JobWorkerConfiguration(concurrency: 2, pollInterval: .milliseconds(50)),
            listen: PostgresConfiguration(connectionString: db.appConnectionString), logger: TestDatabase.logger)
        try await worker.whileRunning {
            // Claimed, but held back while the change is open.
            #expect(try await eventually(every: .milliseconds(10)) { try await queue.find(job).state == .running })
            try await Task.sleep(for: .milliseconds(500))
            #expect(ran.withLock { $0 } == nil, "the job started while a change it absorbed was still open")
            try await change.query("COMMIT")
            #expect(try await eventually(every: .milliseconds(5)) { ran.withLock { $0 } != nil }, "the job did not start once the change committed")
        }
        await change.close()
        await pool.shutdown()
    }

    @Test func aProvinceWithABacklogDoesNotHoldUpAnother() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let a = try await makeProvince(owner, code: "10", name: "Tỉnh Lào Cai")
        let b = try await makeProvince(owner, code: "15", name: "Tỉnh Yên Bái")
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        try await pool.query("INSERT INTO chitieu.job (kind, province_id, run_at) SELECT 'noop', \(a.id), now() - interval '1 hour' FROM generate_series(1, 5000)")
        let global = try await queue.enqueue(kind: "jobs.prune").id
        let late = try await queue.enqueue(kind: "noop", provinceID: b.id).id
        let batch = try await queue.claim(worker: "w", limit: 10, lease: .seconds(30))
        #expect(batch.count == 10)
        #expect(batch.contains { $0.id == late }, "province B's job waited behind A's backlog")
        #expect(batch.contains { $0.id == global })
        #expect(batch.filter { $0.provinceID == a.id }.count == 8)
        await pool.shutdown()
        await owner.pool.shutdown()
    }

    @Test func schedulesEnqueueOnceWhenDueAndMoveOn() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        let su = try await db.superuserConnection()
        try await su.query("UPDATE chitieu.job_schedule SET next_run_at = now() - interval '3 days 1 hour' WHERE name = 'jobs.prune'")
        try await su.query("INSERT INTO chitieu.job (kind, state, finished_at) VALUES ('noop', 'succeeded', now() - interval '30 days'), ('noop', 'succeeded', now())")
        await su.close()
        #expect(try await queue.enqueueDueSchedules() == 1)
        #expect(try await queue.enqueueDueSchedules() == 0)
        let schedule = try #require(try await queue.schedules().first { $0.name == "jobs.prune" })
        #expect(schedule.nextRunAt > Date() && schedule.nextRunAt < Date().addingTimeInterval(86_400))
        let job = try #require(try await queue.list(kind: "jobs.prune").first)
        #expect(job.uniqueKey == "schedule:jobs.prune")
        // The nightly prune keeps recent finished jobs and removes old ones.
        let claimed = try #require(try await queue.claim(id: job.id, worker: "w", lease: .seconds(30)))
        try await StandardJobs.handlers(database: ChitieuDatabase(pool: pool))["jobs.prune"]!(claimed)
        #expect(try await count(pool, "kind = 'noop'") == 1)
        await pool.shutdown()
    }
}

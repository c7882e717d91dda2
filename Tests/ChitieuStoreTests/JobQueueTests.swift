import ChitieuDomain
import ChitieuServer
import ChitieuStore
import ChitieuTesting
import Foundation
import Postgres
import Synchronization
import Testing

@Suite("The job queue")
struct JobQueueTests {
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

    /// Workers claiming the pending job under a key while changes enqueue under it: every
    /// change still ends its transaction holding a pending job that no worker can have started.
    @Test func anEnqueueRacingAClaimStillLeavesAPendingJobForItsChange() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool(maxConnections: 6)
        let queue = JobQueue(pool: pool)
        final class Flag: Sendable { let raised = Mutex(false) }
        let done = Flag()
        let states = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    while !done.raised.withLock({ $0 }) {
                        _ = try await queue.claim(worker: "w", limit: 5, lease: .seconds(30))
                    }
                    return []
                }
            }
            for _ in 0..<3 {
                group.addTask {
                    var seen: [String] = []
                    for _ in 0..<150 {
                        seen.append(try await pool.withTransaction { tx in
                            let id = try await JobQueue.enqueue(on: tx, kind: "progress", uniqueKey: "progress:10:1:1").id
                            return try await tx.query("SELECT state FROM chitieu.job WHERE job_id = \(id)")[0].decode(String.self, at: 0)
                        })
                    }
                    return seen
                }
            }
            var states: [String] = []
            var enqueuers = 3
            while let batch = try await group.next() {
                if !batch.isEmpty {
                    states += batch
                    enqueuers -= 1
                    if enqueuers == 0 { done.raised.withLock { $0 = true } }
                }
            }
            return states
        }
        #expect(states.count == 450)
        #expect(states.allSatisfy { $0 == "pending" }, "\(Set(states))")
        await pool.shutdown()
    }

    @Test func aBurstUnderOneUniqueKeyYieldsOnePendingJob() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool(maxConnections: 4)
        let queue = JobQueue(pool: pool)
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

    @Test func concurrentClaimsNeverShareAJob() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool(maxConnections: 4)
        let queue = JobQueue(pool: pool)
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
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        var queue = JobQueue(pool: pool)
        queue.backoff = .init(baseSeconds: 60, capSeconds: 600)
        let id = try await queue.enqueue(kind: "noop", maxAttempts: 2).id
        _ = try await queue.claim(worker: "w", limit: 1, lease: .seconds(30))
        let first = try await queue.fail(id, worker: "w", error: "mạng chập chờn")
        guard case .retry(let delay, _) = first else { Issue.record("no retry: \(first)"); return }
        #expect((30...90).contains(delay))
        var job = try await queue.find(id)
        #expect(job.state == .pending && job.lastError == "mạng chập chờn")
        #expect(job.runAt.timeIntervalSinceNow > 25)
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
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
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
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        let pending = try await queue.enqueue(kind: "noop").id
        #expect(try await queue.cancel(pending) == .cancel)
        #expect(try await queue.find(pending).state == .cancelled)
        let running = try await queue.enqueue(kind: "noop").id
        _ = try await queue.claim(worker: "w", limit: 1, lease: .seconds(30))
        #expect(try await queue.cancel(running) == .cancel)
        #expect(try await queue.complete(running, worker: "w") == false)
        #expect(try await queue.find(running).state == .cancelled)
        if case .refuse = try await queue.cancel(running) {} else { Issue.record("cancelled twice") }
        await #expect(throws: InputError.self) { try await queue.cancel(999_999) }
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
            configuration: JobWorkerConfiguration(concurrency: 3, pollInterval: .seconds(30)),
            listen: PostgresConfiguration(connectionString: db.appConnectionString), logger: TestDatabase.logger)
        let task = Task { try await worker.run() }
        var ids: [Int64] = []
        for _ in 0..<40 { ids.append(try await queue.enqueue(kind: "record").id) }
        let flaky = try await queue.enqueue(kind: "flaky", maxAttempts: 5).id
        let unknown = try await queue.enqueue(kind: "no-such-kind", maxAttempts: 1).id
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await count(pool, "state IN ('succeeded', 'failed')") == 42 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(runs.withLock { r in ids.allSatisfy { r[$0] == 1 } }, "every job ran exactly once")
        #expect(runs.withLock { $0[flaky] } == 3)
        #expect(try await queue.find(flaky).state == .succeeded)
        let failed = try await queue.find(unknown)
        #expect(failed.state == .failed && failed.lastError?.contains("no-such-kind") == true)
        // Idle, with a 30 s poll: a new job still starts at once, because the enqueue's NOTIFY wakes the worker.
        let start = ContinuousClock.now
        let late = try await queue.enqueue(kind: "record").id
        while runs.withLock({ $0[late] }) == nil && ContinuousClock.now - start < .seconds(20) { try await Task.sleep(for: .milliseconds(1)) }
        #expect(runs.withLock { $0[late] } == 1, "the idle worker was not woken by NOTIFY")
        task.cancel()
        try await task.value
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

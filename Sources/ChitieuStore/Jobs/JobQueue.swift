public import ChitieuDomain
public import Foundation
public import Postgres

/// A job as the queue holds it.
public struct Job: Sendable {
    public var id: Int64
    public var kind: String
    public var provinceID: Int64?
    public var uniqueKey: String?
    /// Arguments as JSON text.
    public var args: String
    public var state: JobState
    public var priority: Int
    public var runAt: Date
    public var attempts: Int
    public var maxAttempts: Int
    public var leaseUntil: Date?
    public var worker: String?
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?
}

/// A job as a worker gets it when it claims it: what its handler and the worker's logs and
/// metrics need, and no more (a claim sends hundreds of these at a time; the columns the
/// worker already knows, such as its state, worker and lease, are not sent back).
public struct ClaimedJob: Sendable {
    public var id: Int64
    public var kind: String
    public var provinceID: Int64?
    public var uniqueKey: String?
    /// Arguments as JSON text.
    public var args: String
    public var priority: Int
    public var runAt: Date
    /// Attempts so far, this one included.
    public var attempts: Int
    public var maxAttempts: Int
    /// A transaction that enqueued under the job's key was still open when the job was claimed:
    /// the job must not start before it ends (`JobQueue.awaitEnqueuers(of:)`).
    public var enqueuersOpen: Bool
}

/// The durable job queue in PostgreSQL (`chitieu.job`): enqueue inside the caller's
/// transaction, claim in batches with `FOR UPDATE SKIP LOCKED` under a lease, complete, retry
/// with back-off, rescue jobs whose lease expired, cancel. Wake-ups go out on the
/// `chitieu_jobs` channel when the enqueuing transaction commits.
public struct JobQueue: Sendable {
    /// The NOTIFY channel workers listen on.
    public static let channel = "chitieu_jobs"
    let pool: PostgresPool
    /// Back-off of failed jobs.
    public var backoff = JobLifecycle.Backoff()

    /// Uses a pool (the daemon's role may read and write the queue).
    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns: StaticString = """
        job_id, kind, province_id, unique_key, args::text AS args, state, priority, run_at, attempts, max_attempts,
        lease_until, worker, last_error, created_at, finished_at
        """

    /// Decodes a row of `columns`, by position (claims decode hundreds of rows at a time).
    static func decode(_ row: PostgresRow) throws -> Job {
        Job(
            id: try row.decode(Int64.self, at: 0), kind: try row.decode(String.self, at: 1),
            provinceID: try row.decode(Int64?.self, at: 2), uniqueKey: try row.decode(String?.self, at: 3),
            args: try row.decode(String.self, at: 4), state: JobState(rawValue: try row.decode(String.self, at: 5)) ?? .pending,
            priority: Int(try row.decode(Int16.self, at: 6)), runAt: try row.decode(Date.self, at: 7),
            attempts: try row.decode(Int.self, at: 8), maxAttempts: try row.decode(Int.self, at: 9),
            leaseUntil: try row.decode(Date?.self, at: 10), worker: try row.decode(String?.self, at: 11),
            lastError: try row.decode(String?.self, at: 12), createdAt: try row.decode(Date.self, at: 13),
            finishedAt: try row.decode(Date?.self, at: 14))
    }

    static let claimedColumns: StaticString = """
        job_id, kind, province_id, unique_key, args::text AS args, priority, run_at, attempts, max_attempts,
        CASE WHEN unique_key IS NULL THEN false ELSE chitieu.enqueuers_open(unique_key) END AS enqueuers_open
        """

    /// Decodes a row of `claimedColumns`, by position.
    static func decodeClaimed(_ row: PostgresRow) throws -> ClaimedJob {
        ClaimedJob(
            id: try row.decode(Int64.self, at: 0), kind: try row.decode(String.self, at: 1),
            provinceID: try row.decode(Int64?.self, at: 2), uniqueKey: try row.decode(String?.self, at: 3),
            args: try row.decode(String.self, at: 4), priority: Int(try row.decode(Int16.self, at: 5)),
            runAt: try row.decode(Date.self, at: 6), attempts: try row.decode(Int.self, at: 7), maxAttempts: try row.decode(Int.self, at: 8),
            enqueuersOpen: try row.decode(Bool.self, at: 9))
    }

    /// Adds a job in the caller's transaction, so it exists if and only if that commits. With a
    /// unique key, a job already pending under the key absorbs this one (its id is returned);
    /// the transaction holds the key (shared with other enqueuers, migration 0017) until it
    /// ends, and a worker that claims the job meanwhile waits for it before starting it.
    @discardableResult
    public static func enqueue(
        on connection: PostgresConnection, kind: String, provinceID: Int64? = nil, uniqueKey: String? = nil, args: String = "{}",
        priority: Int = 0, runAt: Date? = nil, maxAttempts: Int = 10
    ) async throws -> (id: Int64, coalesced: Bool) {
        let row = try await connection.query(
            enqueueStatement(kind: kind, provinceID: provinceID, uniqueKey: uniqueKey, args: args, priority: priority, runAt: runAt, maxAttempts: maxAttempts),
            prepared: true)[0]
        return (try row.decode(Int64.self, at: 0), try row.decode(Bool.self, at: 1))
    }

    /// `enqueue` as one statement (`chitieu.enqueue_job`, migrations 0016 and 0017), for a pipeline; its
    /// row is the job id and whether it was coalesced.
    public static func enqueueStatement(
        kind: String, provinceID: Int64?, uniqueKey: String?, args: String, priority: Int = 0, runAt: Date? = nil, maxAttempts: Int = 10
    ) -> PostgresQuery {
        """
        SELECT job_id, coalesced FROM chitieu.enqueue_job(\(kind), \(provinceID), \(uniqueKey), \(args)::jsonb, \(Int16(priority))::smallint,
                                                          \(runAt)::timestamptz, \(maxAttempts)::int)
        """
    }

    /// Enqueues in a transaction of its own.
    @discardableResult
    public func enqueue(kind: String, provinceID: Int64? = nil, uniqueKey: String? = nil, args: String = "{}", priority: Int = 0, runAt: Date? = nil, maxAttempts: Int = 10) async throws -> (id: Int64, coalesced: Bool) {
        try await pool.withConnection { c in
            try await Self.enqueue(on: c, kind: kind, provinceID: provinceID, uniqueKey: uniqueKey, args: args, priority: priority, runAt: runAt, maxAttempts: maxAttempts)
        }
    }

    /// Takes up to `limit` due jobs and leases them to `worker`. Provinces take turns: the
    /// first job of every province with due jobs (and of the deployment-wide jobs) comes before
    /// the second of any, each province's own order being highest priority, then oldest. Jobs
    /// that other workers hold are skipped. A job whose enqueuers are still open comes back
    /// marked so (`enqueuersOpen`): await them before starting it.
    /// `completing` lists jobs of this worker that succeeded: they are recorded in the same
    /// statement, saving a round trip per batch.
    public func claim(worker: String, limit: Int, lease: Duration, kinds: [String]? = nil, completing: [Int64] = []) async throws -> [ClaimedJob] {
        let seconds = lease.seconds
        // Candidates beyond the batch: rows another worker is claiming right now are skipped, and
        // the batch fills from the next ones instead of coming back short. Twice the batch covers
        // one other claim in flight; a claim that still comes back short is followed by another.
        let candidates = limit * 2
        return try await pool.withConnection { c in
            try await c.query(
                """
                WITH RECURSIVE done AS (
                    UPDATE chitieu.job SET state = 'succeeded', finished_at = now(), lease_until = NULL
                    WHERE job_id = ANY(\(completing)) AND worker = \(worker) AND state = 'running'
                ), provinces(p) AS (
                    (SELECT province_id FROM chitieu.job WHERE state = 'pending' AND province_id IS NOT NULL ORDER BY province_id LIMIT 1)
                    UNION ALL
                    SELECT (SELECT j.province_id FROM chitieu.job j
                            WHERE j.state = 'pending' AND j.province_id > provinces.p ORDER BY j.province_id LIMIT 1)
                    FROM provinces WHERE provinces.p IS NOT NULL
                ), heads AS (
                    SELECT h.job_id, h.priority, h.run_at,
                           row_number() OVER (PARTITION BY h.province_id ORDER BY h.priority DESC, h.run_at, h.job_id) AS turn
                    FROM provinces
                    CROSS JOIN LATERAL (
                        SELECT job_id, province_id, priority, run_at FROM chitieu.job
                        WHERE state = 'pending' AND province_id = provinces.p AND run_at <= now()
                          AND (\(kinds)::text[] IS NULL OR kind = ANY(\(kinds)::text[]))
                        ORDER BY priority DESC, run_at, job_id LIMIT \(candidates)
                    ) h
                    WHERE provinces.p IS NOT NULL
                    UNION ALL
                    SELECT job_id, priority, run_at, row_number() OVER (ORDER BY priority DESC, run_at, job_id)
                    FROM (SELECT job_id, priority, run_at FROM chitieu.job
                          WHERE state = 'pending' AND province_id IS NULL AND run_at <= now()
                            AND (\(kinds)::text[] IS NULL OR kind = ANY(\(kinds)::text[]))
                          ORDER BY priority DESC, run_at, job_id LIMIT \(candidates)) g
                ), chosen AS (
                    SELECT j.job_id AS chosen_id FROM chitieu.job j
                    JOIN (SELECT job_id, turn, priority, run_at FROM heads ORDER BY turn, priority DESC, run_at, job_id LIMIT \(candidates)) h
                      ON h.job_id = j.job_id
                    WHERE j.state = 'pending'
                    ORDER BY h.turn, h.priority DESC, h.run_at, h.job_id
                    LIMIT \(limit)
                    FOR UPDATE OF j SKIP LOCKED
                )
                UPDATE chitieu.job j
                SET state = 'running', attempts = j.attempts + 1, worker = \(worker),
                    lease_until = now() + make_interval(secs => \(seconds))
                FROM chosen WHERE j.job_id = chosen.chosen_id
                RETURNING \(sql: Self.claimedColumns)
                """, prepared: true
            ).map(Self.decodeClaimed)
        }
    }

    /// Takes one particular job if it is still pending (a command that runs its own job now),
    /// once the transactions that enqueued under its key have ended: it can start at once.
    public func claim(id: Int64, worker: String, lease: Duration) async throws -> ClaimedJob? {
        let seconds = lease.seconds
        guard let job = try await pool.query(
            """
            UPDATE chitieu.job SET state = 'running', attempts = attempts + 1, worker = \(worker),
                   lease_until = now() + make_interval(secs => \(seconds))
            WHERE job_id = \(id) AND state = 'pending'
            RETURNING \(sql: Self.claimedColumns)
            """
        ).first.map(Self.decodeClaimed) else { return nil }
        do {
            try await awaitEnqueuers(of: job)
        } catch {
            // Not left running under a lease nobody works on: tried again later, as a failure.
            _ = try? await fail(job.id, worker: worker, error: "interrupted before it started: \(error)")
            throw error
        }
        return job
    }

    /// Returns once the transactions that enqueued under the job's key before it was claimed
    /// have ended (at once when none was open at the claim), so that the job sees their changes.
    public func awaitEnqueuers(of job: ClaimedJob) async throws {
        guard job.enqueuersOpen, let key = job.uniqueKey else { return }
        try await pool.query("SELECT chitieu.await_enqueuers(\(key))", prepared: true)
    }

    /// Records success of a job this worker holds; false when it no longer holds it
    /// (cancelled, or rescued after its lease expired).
    @discardableResult
    public func complete(_ id: Int64, worker: String) async throws -> Bool {
        try await pool.query(
            """
            UPDATE chitieu.job SET state = 'succeeded', finished_at = now(), lease_until = NULL
            WHERE job_id = \(id) AND worker = \(worker) AND state = 'running'
            """, prepared: true
        ).affectedRows == 1
    }

    /// Records the success of several jobs this worker holds, in one statement; returns how
    /// many it still held (the others were cancelled or rescued meanwhile).
    @discardableResult
    public func complete(_ ids: [Int64], worker: String) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.query(
            """
            UPDATE chitieu.job SET state = 'succeeded', finished_at = now(), lease_until = NULL
            WHERE job_id = ANY(\(ids)) AND worker = \(worker) AND state = 'running'
            """, prepared: true
        ).affectedRows
    }

    /// Records a failure: back to pending after a back-off, or failed after the last attempt.
    @discardableResult
    public func fail(_ id: Int64, worker: String, error: String) async throws -> JobLifecycle.Action {
        try await pool.withTransaction { c in
            let rows = try await c.query(
                "SELECT attempts, max_attempts FROM chitieu.job WHERE job_id = \(id) AND worker = \(worker) AND state = 'running' FOR UPDATE")
            guard let row = rows.first else { return .refuse(reason: "the worker no longer holds job \(id)") }
            var machine = JobLifecycle(
                state: .running, attempts: try row.decode(Int.self, "attempts"), maxAttempts: try row.decode(Int.self, "max_attempts"),
                backoff: backoff)
            let action = machine.handle(.failed(error: error, jitter: Double.random(in: 0...1)))
            try await Self.apply(action, to: id, on: c)
            return action
        }
    }

    static func apply(_ action: JobLifecycle.Action, to id: Int64, on c: PostgresConnection) async throws {
        switch action {
        case .retry(let delay, let error):
            // Pending again, or cancelled for a newer job pending under its key (migration 0017).
            try await c.query(
                "SELECT chitieu.requeue_job(\(id), now() + make_interval(secs => \(delay)), \(String(error.prefix(4000))))")
        case .fail(let error):
            try await c.query(
                """
                UPDATE chitieu.job SET state = 'failed', finished_at = now(), lease_until = NULL, last_error = \(String(error.prefix(4000)))
                WHERE job_id = \(id)
                """)
        default:
            break
        }
    }

    /// Extends the leases of jobs this worker still runs.
    public func renew(_ ids: [Int64], worker: String, lease: Duration) async throws {
        guard !ids.isEmpty else { return }
        let seconds = lease.seconds
        try await pool.query(
            """
            UPDATE chitieu.job SET lease_until = now() + make_interval(secs => \(seconds))
            WHERE job_id = ANY(\(ids)) AND worker = \(worker) AND state = 'running'
            """, prepared: true)
    }

    /// Makes jobs whose lease expired available again (or failed, after their last attempt).
    /// Returns how many were rescued.
    @discardableResult
    public func rescueExpired() async throws -> Int {
        try await pool.withTransaction { c in
            let expired = try await c.query(
                "SELECT job_id, attempts, max_attempts FROM chitieu.job WHERE state = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED")
            for row in expired {
                var machine = JobLifecycle(
                    state: .running, attempts: try row.decode(Int.self, "attempts"), maxAttempts: try row.decode(Int.self, "max_attempts"),
                    backoff: JobLifecycle.Backoff(baseSeconds: 0.1, capSeconds: 60))
                try await Self.apply(machine.handle(.leaseExpired(jitter: Double.random(in: 0...1))), to: try row.decode(Int64.self, "job_id"), on: c)
            }
            return expired.count
        }
    }

    /// Cancels a pending or running job (a running one's late result is then ignored).
    public func cancel(_ id: Int64) async throws -> JobLifecycle.Action {
        try await transition(id, .cancelRequested) { c, action in
            if action == .cancel {
                try await c.query("UPDATE chitieu.job SET state = 'cancelled', finished_at = now(), lease_until = NULL WHERE job_id = \(id)")
            }
        }
    }

    /// Runs a failed or cancelled job again, from its first attempt.
    public func retry(_ id: Int64) async throws -> JobLifecycle.Action {
        try await transition(id, .retryRequested) { c, action in
            if action == .requeue {
                // Two jobs cannot be pending under one key; the pending one does this one's work.
                if let pending = try await c.query(
                    """
                    SELECT p.job_id FROM chitieu.job j JOIN chitieu.job p ON p.unique_key = j.unique_key AND p.state = 'pending'
                    WHERE j.job_id = \(id)
                    """).first {
                    throw ChitieuError(.conflict,
                        field: "id", reason: "job \(try pending.decode(Int64.self, at: 0)) is pending under the same key and will do this job's work")
                }
                try await c.query(
                    "UPDATE chitieu.job SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL, worker = NULL WHERE job_id = \(id)")
                try await c.notify(channel: Self.channel, payload: "retry")
            }
        }
    }

    private func transition(
        _ id: Int64, _ event: JobLifecycle.Event, _ body: @escaping @Sendable (PostgresConnection, JobLifecycle.Action) async throws -> Void
    ) async throws -> JobLifecycle.Action {
        try await pool.withTransaction { c in
            let rows = try await c.query("SELECT state, attempts, max_attempts FROM chitieu.job WHERE job_id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw ChitieuError(.invalid, field: "id", reason: "there is no job \(id)") }
            var machine = JobLifecycle(
                state: JobState(rawValue: try row.decode(String.self, "state")) ?? .pending, attempts: try row.decode(Int.self, "attempts"),
                maxAttempts: try row.decode(Int.self, "max_attempts"))
            let action = machine.handle(event)
            try await body(c, action)
            return action
        }
    }

    /// Enqueues the job of every schedule that is due (one pending job per schedule at most)
    /// and moves each to its next time after now. Safe from several workers at once.
    @discardableResult
    public func enqueueDueSchedules() async throws -> Int {
        try await pool.withTransaction { c in
            let due = try await c.query(
                """
                UPDATE chitieu.job_schedule s
                SET next_run_at = s.next_run_at + s.every * (floor(extract(epoch FROM now() - s.next_run_at) / extract(epoch FROM s.every)) + 1),
                    last_enqueued_at = now()
                WHERE s.name IN (SELECT name FROM chitieu.job_schedule WHERE enabled AND next_run_at <= now() FOR UPDATE SKIP LOCKED)
                RETURNING s.name, s.kind, s.args::text AS args
                """)
            for row in due {
                let name = try row.decode(String.self, "name")
                try await Self.enqueue(
                    on: c, kind: try row.decode(String.self, "kind"), uniqueKey: "schedule:\(name)", args: try row.decode(String.self, "args"))
            }
            return due.count
        }
    }

    /// A recurring job.
    public struct Schedule: Sendable {
        public var name: String
        public var kind: String
        public var every: String
        public var nextRunAt: Date
        public var enabled: Bool
    }

    /// The schedules, by name.
    public func schedules() async throws -> [Schedule] {
        try await pool.query("SELECT name, kind, every::text AS every, next_run_at, enabled FROM chitieu.job_schedule ORDER BY name").map {
            Schedule(
                name: try $0.decode(String.self, "name"), kind: try $0.decode(String.self, "kind"), every: try $0.decode(String.self, "every"),
                nextRunAt: try $0.decode(Date.self, "next_run_at"), enabled: try $0.decode(Bool.self, "enabled"))
        }
    }

    /// Deletes finished jobs (succeeded, failed, cancelled) older than the retention.
    @discardableResult
    public func prune(olderThanDays days: Int) async throws -> Int {
        try await pool.query(
            "DELETE FROM chitieu.job WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < now() - make_interval(days => \(days)::int)"
        ).affectedRows
    }

    /// One job.
    public func find(_ id: Int64) async throws -> Job {
        guard let row = try await pool.query("SELECT \(sql: Self.columns) FROM chitieu.job WHERE job_id = \(id)").first else {
            throw ChitieuError(.invalid, field: "id", reason: "there is no job \(id)")
        }
        return try Self.decode(row)
    }

    /// Jobs, newest first, filtered by state and kind.
    public func list(state: JobState? = nil, kind: String? = nil, limit: Int = 100) async throws -> [Job] {
        try await pool.query(
            """
            SELECT \(sql: Self.columns) FROM chitieu.job
            WHERE (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue)) AND (\(kind)::text IS NULL OR kind = \(kind))
            ORDER BY job_id DESC LIMIT \(limit)
            """
        ).map(Self.decode)
    }

    /// Counts by state and kind, and the age of the oldest due pending job.
    public struct Statistics: Sendable {
        public var counts: [(kind: String, state: String, count: Int)]
        public var oldestPendingSeconds: Double?
    }

    /// The queue's counts.
    public func statistics() async throws -> Statistics {
        let counts = try await pool.query("SELECT kind, state, count(*) AS n FROM chitieu.job GROUP BY kind, state ORDER BY kind, state")
            .map { (try $0.decode(String.self, "kind"), try $0.decode(String.self, "state"), try $0.decode(Int.self, "n")) }
        let oldest = try await pool.query(
            "SELECT extract(epoch FROM now() - min(run_at))::float8 AS age FROM chitieu.job WHERE state = 'pending' AND run_at <= now()")
        return Statistics(counts: counts, oldestPendingSeconds: try oldest[0].decode(Double?.self, "age"))
    }

    /// What a metrics scrape reads: pending, running and failed jobs, and how long the oldest due
    /// job has waited. Pending and running are read through their partial indexes; failed jobs are
    /// few, kept until pruned.
    public struct Depth: Sendable {
        public var counts: [(state: String, count: Int)]
        public var oldestPendingSeconds: Double?
    }

    /// The queue's depth by state, cheap enough for every scrape.
    public func depth() async throws -> Depth {
        let rows = try await pool.query(
            """
            SELECT s.state, (SELECT count(*) FROM chitieu.job j WHERE j.state = s.state) AS n,
                   CASE WHEN s.state = 'pending' THEN
                       (SELECT extract(epoch FROM now() - min(run_at))::float8 FROM chitieu.job WHERE state = 'pending' AND run_at <= now())
                   END AS age
            FROM unnest(ARRAY['pending', 'running', 'failed']) AS s(state)
            """, prepared: true)
        var depth = Depth(counts: [], oldestPendingSeconds: nil)
        for row in rows {
            let state = try row.decode(String.self, "state")
            depth.counts.append((state, try row.decode(Int.self, "n")))
            if state == "pending" { depth.oldestPendingSeconds = try row.decode(Double?.self, "age") }
        }
        return depth
    }
}

import ChitieuDomain
public import ChitieuStore
import Foundation
public import Logging
public import Postgres
public import ServiceLifecycle
import Synchronization

/// Runs the handler of one kind of job. Handlers must be idempotent: a job whose worker died
/// runs again after its lease expires.
public typealias JobHandler = @Sendable (ClaimedJob) async throws -> Void

/// Settings of a worker. Defaults: 2 jobs at once, 30 s leases renewed every 10 s, a poll every
/// second when no notification comes, expired leases rescued every 5 s.
public struct JobWorkerConfiguration: Sendable {
    public var concurrency: Int
    public var lease: Duration
    public var renewEvery: Duration
    public var pollInterval: Duration
    public var rescueEvery: Duration

    /// Creates a configuration.
    public init(
        concurrency: Int = 2, lease: Duration = .seconds(30), renewEvery: Duration = .seconds(10),
        pollInterval: Duration = .seconds(1), rescueEvery: Duration = .seconds(5)
    ) {
        self.concurrency = concurrency
        self.lease = lease
        self.renewEvery = renewEvery
        self.pollInterval = pollInterval
        self.rescueEvery = rescueEvery
    }
}

/// A worker: claims due jobs (woken by NOTIFY, or by polling), runs up to `concurrency` at
/// once, renews their leases, rescues jobs whose worker died, and on graceful shutdown stops
/// claiming and lets its running jobs finish.
public final class JobWorker: Service {
    let queue: JobQueue
    let handlers: [String: JobHandler]
    let configuration: JobWorkerConfiguration
    let listenConfiguration: PostgresConfiguration?
    let logger: Logger
    let metrics: (any JobMetrics)?
    /// This worker's name in the queue (`host:pid:random`).
    public let name: String
    private let running = Mutex<Set<Int64>>([])
    /// Jobs whose handler succeeded, recorded in one statement before the next claim.
    private let succeeded = Mutex<[Int64]>([])
    private let wakeup = Wakeup()
    private let stopping = Mutex(false)

    /// Creates a worker. With `listen`, it opens a LISTEN connection for wake-ups.
    public init(
        queue: JobQueue, handlers: [String: JobHandler], configuration: JobWorkerConfiguration = .init(),
        listen: PostgresConfiguration?, metrics: (any JobMetrics)? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.queue = queue
        self.handlers = handlers
        self.configuration = configuration
        self.listenConfiguration = listen
        self.logger = logger
        self.name = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    public func run() async throws {
        var listener: PostgresListener?
        if let listenConfiguration {
            do {
                listener = try await PostgresListener.start(configuration: listenConfiguration, channels: [JobQueue.channel], logger: logger)
            } catch {
                logger.warning("The job worker could not listen for wake-ups; it will poll.", metadata: ["error": "\(error)"])
            }
        }
        logger.info("The job worker started.", metadata: ["job.worker": "\(name)", "job.concurrency": "\(configuration.concurrency)"])
        await withGracefulShutdownHandler {
            // A discarding group: a finished job's task is freed at once, not kept until the
            // worker stops (a long-running worker would hold every job it ever ran).
            await withDiscardingTaskGroup { group in
                if let listener {
                    group.addTask { [wakeup] in
                        for await _ in listener.notifications { await wakeup.signal() }
                    }
                }
                group.addTask { await self.maintain() }
                await self.claimLoop(group: &group)
                // Stopped claiming: wait for the running jobs, record them, then end the helpers.
                while !self.running.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(20)) }
                await self.flushSucceeded()
                listener?.stop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            let wakeup = self.wakeup
            Task { await wakeup.signal() }
        }
        logger.info("The job worker stopped.", metadata: ["job.worker": "\(name)"])
    }

    /// The claim loop claims once this many slots are free (half of them).
    private var threshold: Int { max(1, configuration.concurrency / 2) }
    private var isStopping: Bool { stopping.withLock { $0 } }

    /// Records the successes gathered since the last call.
    private func flushSucceeded() async {
        flushedAt = ContinuousClock.now
        let ids = succeeded.withLock { ids in
            defer { ids.removeAll(keepingCapacity: true) }
            return ids
        }
        guard !ids.isEmpty else { return }
        do {
            let held = try await queue.complete(ids, worker: name)
            if held < ids.count {
                logger.info("Jobs finished after they were cancelled or rescued; their results are ignored.", metadata: ["job.count": "\(ids.count - held)"])
            }
        } catch {
            logger.warning("Recording finished jobs failed; their leases will expire and they will run again.", metadata: ["error": "\(error)"])
        }
    }

    /// When successes were last recorded (by a claim or a flush).
    private let lastFlush = Mutex(ContinuousClock.now)
    private var flushedAt: ContinuousClock.Instant {
        get { lastFlush.withLock { $0 } }
        set { lastFlush.withLock { $0 = newValue } }
    }

    private func claimLoop(group: inout DiscardingTaskGroup) async {
        while !isStopping && !Task.isCancelled {
            let busy = running.withLock { $0.count }
            let free = configuration.concurrency - busy
            // Claim in batches: after a full batch, wait until half of the slots are free again
            // rather than claiming one job each time one finishes.
            // Successes wait for that claim, but never long enough to put their leases at risk.
            if busy > 0 && free < threshold {
                let waitedSince = ContinuousClock.now
                await wakeup.wait(timeout: configuration.pollInterval)
                if !succeeded.withLock({ $0.isEmpty }) && (ContinuousClock.now - flushedAt > .milliseconds(500) || ContinuousClock.now - waitedSince >= configuration.pollInterval) {
                    await flushSucceeded()
                }
                continue
            }
            // Here at least one slot is free. Successes since the last claim are recorded by the claim itself.
            var claimed: [ClaimedJob] = []
            let done = succeeded.withLock { ids in
                defer { ids.removeAll(keepingCapacity: true) }
                return ids
            }
            flushedAt = ContinuousClock.now
            do {
                claimed = try await queue.claim(worker: name, limit: free, lease: configuration.lease, completing: done)
            } catch {
                succeeded.withLock { $0.append(contentsOf: done) }
                logger.warning("Claiming jobs failed; retrying.", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(100))
            }
            for job in claimed {
                running.withLock { _ = $0.insert(job.id) }
                group.addTask { await self.execute(job) }
            }
            // Nothing due: wait for a notification or the poll. After a batch, the loop looks at
            // the slots again (jobs may have ended during the claim) and waits only if too few are free.
            if claimed.isEmpty {
                await wakeup.wait(timeout: configuration.pollInterval)
            }
        }
    }

    private func execute(_ job: ClaimedJob) async {
        let started = ContinuousClock.now
        // Due time read from the database's clock, start from this machine's: skew shows up here.
        metrics?.jobStarted(kind: job.kind, waited: .milliseconds(Int64(Date().timeIntervalSince(job.runAt) * 1000)))
        do {
            guard let handler = handlers[job.kind] else {
                throw JobWorkerError(description: "no handler for the job kind '\(job.kind)'")
            }
            // A change that joined this job while it was pending may not have committed yet.
            try await queue.awaitEnqueuers(of: job)
            try await handler(job)
            succeeded.withLock { $0.append(job.id) }
            let duration = ContinuousClock.now - started
            metrics?.jobFinished(kind: job.kind, outcome: "succeeded", duration: duration)
            logger.debug("A job succeeded.", metadata: Self.metadata(job, ["job.duration_ms": "\(Int(duration / .milliseconds(1)))"]))
        } catch {
            let metadata = Self.metadata(job, ["error": "\(error)"])
            do {
                let action = try await queue.fail(job.id, worker: name, error: "\(error)")
                let outcome = switch action {
                case .retry: "retrying"
                case .fail: "failed"
                default: "abandoned"
                }
                metrics?.jobFinished(kind: job.kind, outcome: outcome, duration: ContinuousClock.now - started)
                if case .retry(let delay, _) = action {
                    // Wake up when the retry falls due, rather than at the next poll.
                    let wakeup = self.wakeup
                    Task {
                        try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 5))
                        await wakeup.signal()
                    }
                }
                logger.warning(action == .refuse(reason: "") ? "A job failed." : "A job failed: \(Self.describe(action)).", metadata: metadata)
            } catch {
                logger.error("A job failed and its failure could not be recorded; its lease will expire.", metadata: metadata)
            }
        }
        // The claim loop waits for half of the slots to be free (or for the last job, on
        // shutdown): only the job that crosses that line wakes it, not every job.
        let busy = running.withLock { running in
            running.remove(job.id)
            return running.count
        }
        if busy == configuration.concurrency - threshold || busy == 0 {
            await wakeup.signal()
        }
    }

    /// The log metadata of a job, made only when a line is written.
    static func metadata(_ job: ClaimedJob, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "job.attempt": "\(job.attempts)"]
        if let province = job.provinceID { metadata["province.id"] = "\(province)" }
        return metadata.merging(extra) { _, new in new }
    }

    static func describe(_ action: JobLifecycle.Action) -> String {
        switch action {
        case .retry(let delay, _): "retrying in \(Int(delay.rounded())) s"
        case .fail: "no attempts left, marked failed"
        default: "\(action)"
        }
    }

    /// Renews the leases of running jobs and rescues expired ones, each on its own schedule,
    /// until cancelled. A long lease (renewed rarely) does not slow the rescue of a dead
    /// worker's jobs, nor a frequent rescue the renewal.
    private func maintain() async {
        // At least 10 ms apart: a zero interval would spin.
        let renewEvery = max(configuration.renewEvery, .milliseconds(10))
        let rescueEvery = max(configuration.rescueEvery, .milliseconds(10))
        let clock = ContinuousClock()
        var nextRenew = clock.now + renewEvery
        var nextRescue = clock.now + rescueEvery
        while !Task.isCancelled {
            try? await Task.sleep(until: min(nextRenew, nextRescue), clock: clock)
            if Task.isCancelled { return }
            if clock.now >= nextRenew {
                nextRenew = clock.now + renewEvery
                let ids = Array(running.withLock { $0 })
                do {
                    try await queue.renew(ids, worker: name, lease: configuration.lease)
                } catch {
                    logger.warning("Renewing job leases failed.", metadata: ["error": "\(error)"])
                }
            }
            if clock.now >= nextRescue {
                nextRescue = clock.now + rescueEvery
                if let rescued = try? await queue.rescueExpired(), rescued > 0 {
                    logger.warning("Rescued jobs whose worker stopped.", metadata: ["job.count": "\(rescued)"])
                    await wakeup.signal()
                }
                do {
                    if try await queue.enqueueDueSchedules() > 0 { await wakeup.signal() }
                } catch {
                    logger.warning("Enqueuing scheduled jobs failed.", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// Why a job could not run.
public struct JobWorkerError: Error, CustomStringConvertible {
    public var description: String
    /// Creates an error with its message.
    public init(description: String) { self.description = description }
}

/// Wakes the claim loop: a notification, a finished job, or the poll timeout.
actor Wakeup {
    private var pending = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var nextID = 0

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            pending = true
        }
    }

    func wait(timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        nextID += 1
        let id = nextID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiter = (id, continuation)
                }
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
        timer.cancel()
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}

/// The handlers of chitieu's own jobs.
public enum StandardJobs {
    /// `allocate` (`AllocateJob`), `jobs.prune` (`PruneJobsJob`), `tokens.prune` (`PruneTokensJob`),
    /// `progress` (`ProgressJob`), `progress.all` and `noop` (no arguments).
    public static func handlers(database: ChitieuDatabase) -> [String: JobHandler] {
        [
            "noop": { _ in },
            PruneJobsJob.kind: { job in
                let args = try job.payload(PruneJobsJob.self)
                try await JobQueue(pool: database.pool).prune(olderThanDays: max(1, args.retentionDays ?? 14))
            },
            ProgressJob.kind: { job in
                let args = try job.payload(ProgressJob.self)
                _ = try await ProgressStore(database: database).compute(province: args.provinceID, phaseID: args.phaseID, indicatorID: args.indicatorID)
            },
            "progress.all": { _ in
                _ = try await ProgressStore(database: database).computeAll()
            },
            PruneTokensJob.kind: { job in
                let args = try job.payload(PruneTokensJob.self)
                _ = try await Authenticator.pruneTokens(olderThanDays: max(1, args.retentionDays ?? 30), pool: database.pool)
            },
            AllocateJob.kind: { job in
                let args = try job.payload(AllocateJob.self)
                _ = try await AllocationStore(database: database).allocate(
                    province: args.provinceID, phaseCode: args.phase, indicator: args.indicatorReference, caller: .job(job.id))
            },
        ]
    }
}

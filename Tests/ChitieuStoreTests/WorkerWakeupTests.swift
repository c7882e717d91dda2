import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Synchronization
import Testing

@Suite("The claim loop's wake-ups")
struct WorkerWakeupTests {
    /// With no notifications and a poll every hour, only finished jobs wake the claim loop: a
    /// queue of due jobs must drain without ever waiting for the poll, whatever the slots and
    /// however the jobs' ends fall around the claims (odd and even slot counts).
    @Test(arguments: [1, 2, 3, 5, 8])
    func dueJobsDrainWithoutWaitingForThePoll(concurrency: Int) async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool(maxConnections: 4)
        let queue = JobQueue(pool: pool)
        try await pool.query("INSERT INTO chitieu.job (kind) SELECT 'nap' FROM generate_series(1, 100)")
        let done = Mutex(0)
        let worker = JobWorker(
            queue: queue,
            handlers: ["nap": { _ in
                try await Task.sleep(for: .microseconds(Int.random(in: 0...3000)))
                done.withLock { $0 += 1 }
            }],
            configuration: JobWorkerConfiguration(concurrency: concurrency, pollInterval: .seconds(3600)),
            listen: nil, logger: TestDatabase.logger)
        let started = ContinuousClock.now
        let elapsed = try await worker.whileRunning {
            // Well under the poll, even on a loaded machine: a wait for the poll would pass it.
            _ = try await eventually(timeout: .seconds(120)) { done.withLock { $0 } == 100 }
            return ContinuousClock.now - started
        }
        #expect(done.withLock { $0 } == 100, "after \(elapsed) with \(concurrency) slots: the loop waited for the poll")
        await pool.shutdown()
    }
}

import ChitieuDomain
import Testing

@Suite("The job lifecycle, without a database")
struct JobLifecycleTests {
    @Test func aJobRunsAndSucceeds() {
        var job = JobLifecycle(maxAttempts: 3)
        #expect(job.handle(.claimed) == .run)
        #expect(job.state == .running && job.attempts == 1)
        #expect(job.handle(.succeeded) == .complete)
        #expect(job.state == .succeeded && job.state.isFinal)
        if case .refuse = job.handle(.claimed) {} else { Issue.record("a succeeded job was claimed") }
    }

    @Test func failuresBackOffExponentiallyThenFail() {
        var job = JobLifecycle(maxAttempts: 3, backoff: .init(baseSeconds: 2, capSeconds: 100))
        _ = job.handle(.claimed)
        #expect(job.handle(.failed(error: "boom", jitter: 0.5)) == .retry(delaySeconds: 2, error: "boom"))
        _ = job.handle(.claimed)
        #expect(job.handle(.failed(error: "boom", jitter: 0.5)) == .retry(delaySeconds: 4, error: "boom"))
        _ = job.handle(.claimed)
        #expect(job.handle(.failed(error: "last", jitter: 0.5)) == .fail(error: "last"))
        #expect(job.state == .failed)
        #expect(job.handle(.retryRequested) == .requeue)
        #expect(job.state == .pending && job.attempts == 0)
    }

    @Test func backoffHasJitterAndACap() {
        let backoff = JobLifecycle.Backoff(baseSeconds: 1, capSeconds: 60)
        #expect(backoff.delay(afterAttempt: 1, jitter: 0) == 0.5)
        #expect(backoff.delay(afterAttempt: 1, jitter: 1) == 1.5)
        #expect(backoff.delay(afterAttempt: 4, jitter: 0.5) == 8)
        #expect(backoff.delay(afterAttempt: 40, jitter: 0.5) == 60)
    }

    @Test func anExpiredLeaseRunsTheJobAgainUntilAttemptsRunOut() {
        var job = JobLifecycle(maxAttempts: 2)
        _ = job.handle(.claimed)
        if case .retry = job.handle(.leaseExpired(jitter: 0)) {} else { Issue.record("no retry after a lost lease") }
        _ = job.handle(.claimed)
        if case .fail(let error) = job.handle(.leaseExpired(jitter: 0)) {
            #expect(error.contains("lease"))
        } else {
            Issue.record("no failure after the last attempt")
        }
    }

    @Test func cancelPendingOrRunningButNotFinished() {
        var pending = JobLifecycle()
        #expect(pending.handle(.cancelRequested) == .cancel)
        var running = JobLifecycle()
        _ = running.handle(.claimed)
        #expect(running.handle(.cancelRequested) == .cancel)
        // A cancelled job's late success is refused.
        if case .refuse = running.handle(.succeeded) {} else { Issue.record("a cancelled job completed") }
        var done = JobLifecycle()
        _ = done.handle(.claimed)
        _ = done.handle(.succeeded)
        if case .refuse = done.handle(.cancelRequested) {} else { Issue.record("a succeeded job was cancelled") }
    }
}

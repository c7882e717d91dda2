/// The states of a job in the queue.
public enum JobState: String, Sendable, CaseIterable {
    /// Waiting for its run time and a worker.
    case pending
    /// Held by a worker under a lease.
    case running
    /// Done.
    case succeeded
    /// Gave up after its last attempt; the last error is kept.
    case failed
    /// Cancelled by an operator.
    case cancelled

    /// No further transition happens on its own.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A job's life as a state machine: events in, the action the queue must take out. It does
/// no IO; the queue's SQL carries the actions out.
public struct JobLifecycle: Sendable, Equatable {
    /// What happened to the job.
    public enum Event: Sendable, Equatable {
        /// A worker took it.
        case claimed
        /// Its handler returned.
        case succeeded
        /// Its handler threw; `jitter` in 0…1 spreads the retries.
        case failed(error: String, jitter: Double)
        /// Its worker's lease ran out (the worker died or hung).
        case leaseExpired(jitter: Double)
        /// An operator cancelled it.
        case cancelRequested
        /// An operator asked to run a failed or cancelled job again.
        case retryRequested
    }

    /// What the queue must do.
    public enum Action: Sendable, Equatable {
        /// Run the handler.
        case run
        /// Record success.
        case complete
        /// Put it back to pending, to run after `delaySeconds`.
        case retry(delaySeconds: Double, error: String)
        /// Give up: failed, with the error kept.
        case fail(error: String)
        /// Stop it: cancelled.
        case cancel
        /// Make it pending again now (operator retry), attempts reset.
        case requeue
        /// Nothing to do; `reason` says why (e.g. already final).
        case refuse(reason: String)
    }

    /// The current state.
    public private(set) var state: JobState
    /// Attempts started so far.
    public private(set) var attempts: Int
    /// Attempts allowed in all.
    public let maxAttempts: Int
    /// The back-off rule.
    public let backoff: Backoff

    /// Exponential back-off with jitter: base × 2^(attempt−1), capped, times 0.5…1.5.
    public struct Backoff: Sendable, Equatable {
        public var baseSeconds: Double
        public var capSeconds: Double
        public init(baseSeconds: Double = 1, capSeconds: Double = 3600) {
            self.baseSeconds = baseSeconds
            self.capSeconds = capSeconds
        }
        /// The delay after the given failed attempt (1-based).
        public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
            let exponential = baseSeconds * Double(1 << min(max(attempt - 1, 0), 30))
            return min(exponential, capSeconds) * (0.5 + min(max(jitter, 0), 1))
        }
    }

    /// A job in a state.
    public init(state: JobState = .pending, attempts: Int = 0, maxAttempts: Int = 10, backoff: Backoff = Backoff()) {
        self.state = state
        self.attempts = attempts
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
    }

    /// Applies an event and says what to do.
    public mutating func handle(_ event: Event) -> Action {
        switch (state, event) {
        case (.pending, .claimed):
            state = .running
            attempts += 1
            return .run
        case (.running, .succeeded):
            state = .succeeded
            return .complete
        case (.running, .failed(let error, let jitter)):
            return giveUpOrRetry(error: error, jitter: jitter)
        case (.running, .leaseExpired(let jitter)):
            return giveUpOrRetry(error: "the worker's lease expired (the worker stopped or hung)", jitter: jitter)
        case (.pending, .cancelRequested), (.running, .cancelRequested):
            state = .cancelled
            return .cancel
        case (.failed, .retryRequested), (.cancelled, .retryRequested):
            state = .pending
            attempts = 0
            return .requeue
        default:
            return .refuse(reason: "a \(state.rawValue) job cannot be \(Self.describe(event))")
        }
    }

    private mutating func giveUpOrRetry(error: String, jitter: Double) -> Action {
        if attempts >= maxAttempts {
            state = .failed
            return .fail(error: error)
        }
        state = .pending
        return .retry(delaySeconds: backoff.delay(afterAttempt: attempts, jitter: jitter), error: error)
    }

    static func describe(_ event: Event) -> String {
        switch event {
        case .claimed: "claimed"
        case .succeeded: "completed"
        case .failed: "failed"
        case .leaseExpired: "rescued"
        case .cancelRequested: "cancelled"
        case .retryRequested: "retried"
        }
    }
}

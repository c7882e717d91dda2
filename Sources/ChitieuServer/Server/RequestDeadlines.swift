/// Which deadline a connection's request is under: its head must arrive within the head limit
/// of its first byte, its body within the body limit of its head. Between requests the idle
/// limit applies (kept by Hummingbird), and while a request is answered, none.
struct RequestDeadlines: Sendable {
    enum Phase: Sendable, Equatable {
        /// No request under way.
        case waiting
        /// Bytes of a request arrived; its head is not complete.
        case head
        /// The head arrived; its body is not complete.
        case body
        /// The request has arrived and is being answered.
        case answering
    }

    /// What the connection's timer must do.
    enum Action: Sendable, Equatable {
        /// Start (or restart) the timer: the phase must end within the duration.
        case start(Phase, Duration)
        /// Stop the timer.
        case stop
        case none
    }

    let limits: HTTPConnectionLimits
    private(set) var phase: Phase = .waiting

    init(limits: HTTPConnectionLimits) { self.limits = limits }

    /// Bytes arrived on the connection.
    mutating func bytesRead() -> Action {
        guard phase == .waiting else { return .none }
        phase = .head
        return .start(.head, limits.head)
    }

    /// A request's head was decoded.
    mutating func headRead() -> Action {
        phase = .body
        return .start(.body, limits.body)
    }

    /// A request's end was decoded.
    mutating func endRead() -> Action {
        guard phase == .head || phase == .body else { return .none }
        phase = .answering
        return .stop
    }

    /// An answer was written to its end.
    mutating func answerWritten() -> Action {
        guard phase == .answering else { return .none }
        phase = .waiting
        return .stop
    }
}

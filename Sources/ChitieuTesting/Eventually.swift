/// Waits until `condition` holds, asking every `interval` for at most `timeout`, and tells
/// whether it held. It asks once more after the deadline: a test process stalled past the
/// deadline (a loaded machine deschedules it for seconds) must not fail a condition that
/// became true meanwhile. Passing runs return as soon as the condition holds, so the timeout
/// can be generous; it bounds only how long a failing run takes.
public func eventually(
    timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

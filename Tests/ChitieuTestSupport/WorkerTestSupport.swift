package import ChitieuJobs
package import ChitieuServer

extension JobWorker {
    /// Runs `body` while this worker runs in a task of its own, then stops the worker and waits
    /// for it to end, also when `body` throws (no worker outlives its test).
    package func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        let task = Task { try await run() }
        let value: T
        do {
            value = try await body()
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
        task.cancel()
        try await task.value
        return value
    }
}

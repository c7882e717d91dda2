public import Foundation

extension Process {
    /// Waits until the process, already started, has exited; `terminationStatus` can be read
    /// afterwards. Unlike `waitUntilExit`, it holds no thread meanwhile: a test blocking one of
    /// the cooperative pool's few threads stalls every other task of the test process.
    public func exited() async {
        // A termination handler set now could miss an exit that already happened, so poll,
        // as waitUntilExit itself does.
        while isRunning {
            await Self.pause(milliseconds: 20)
        }
    }

    /// Sleeps without regard to cancellation: a cancelled test still waits for its process,
    /// as waitUntilExit did, instead of spinning.
    private static func pause(milliseconds: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { continuation.resume() }
        }
    }
}

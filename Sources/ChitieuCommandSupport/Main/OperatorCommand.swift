package import ArgumentParser

/// A command whose errors an operator meets as one line and exit code 1 (`runReportingErrors`):
/// it does its work in `perform`, and running it runs that.
package protocol OperatorCommand: AsyncParsableCommand {
    /// The command's work.
    func perform() async throws
}

extension OperatorCommand {
    /// Runs `perform`, its errors reported as one line and exit code 1.
    package func run() async throws {
        try await runReportingErrors { try await perform() }
    }
}

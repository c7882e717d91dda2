package import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the command line as this root command and runs the command it names, after
    /// `prepare` has seen it; usage errors exit with 2 (not 64), as operators' scripts expect.
    /// On the main actor, as `main` itself: `prepare` may do what only the main thread may.
    @MainActor
    package static func parseAndRun(prepare: (any ParsableCommand) -> Void = { _ in }) async {
        do {
            var command = try parseAsRoot()
            prepare(command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

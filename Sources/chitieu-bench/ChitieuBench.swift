import ArgumentParser
import ChitieuCommandSupport

/// `chitieu-bench …`: figures, printed, on the database it is pointed at. A separate
/// executable, so the production binary carries no benchmark (nor its SQL that lifts
/// row-level security in a rolled-back transaction).
@main
struct ChitieuBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chitieu-bench",
        abstract: "Measure chitieu on a database and print the figures.",
        subcommands: [
            Client.self, Allocate.self, Auth.self, ProgressBench.self, TenantMoveBench.self, ReformBench.self, JobsBench.self, QueueBench.self, APIBench.self,
            WebBench.self, AllBench.self, ImportBench.self,
        ])

    /// Runs the benchmark; usage errors exit with 2 (not 64), as for `chitieu`.
    static func main() async {
        await parseAndRun()
    }
}

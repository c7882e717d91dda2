import ArgumentParser
import ChitieuCommandSupport
import Foundation

extension ChitieuBench {
    /// `chitieu-bench all`: every national-scale benchmark in turn on one scratch database, as
    /// `./Deploy/dev bench` runs them.
    struct AllBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "all",
            abstract: "Every bulk benchmark in turn on a fresh scratch database: client, allocate, auth, progress, tenant-move, reform, queue.",
            discussion: """
                Makes the scratch database afresh (owned by the owner role), migrates it, runs each benchmark on it as
                a process of its own (the figures of one are not disturbed by the memory of another), then drops it.
                The queue's peer comparison runs when --python has pgqueuer and asyncpg.
                """)

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The scratch database.") var database = "chitieu_bench"
        @Option(help: "The pgbench program.") var pgbench = "pgbench"
        @Option(help: "The psql program.") var psql = "psql"
        @Option(help: "The Python that has pgqueuer and asyncpg, for the queue's peer comparison.") var python = "python3"
        @Option(help: "The directory of the benchmarks' scripts (default: Deploy/bench of the checkout).") var scripts: String?
        @Option(help: "Only these benchmarks (repeatable), e.g. --only queue.") var only: [String] = []

        static let steps = ["client", "allocate", "auth", "progress", "tenant-move", "reform", "queue"]

        func validate() throws {
            _ = try ClusterOptions.identifier(database)
            if let unknown = only.first(where: { !Self.steps.contains($0) }) {
                throw ValidationError("--only \(unknown): not one of \(Self.steps.joined(separator: ", "))")
            }
        }

        func perform() async throws {
            Output.note("creating a fresh database \(database)")
            try await cluster.recreate(database, owner: cluster.owner)
            let owner = ["--database-url", cluster.url(cluster.owner, database)]
            try Programs.output(try Programs.chitieu().path, ["db", "migrate"] + owner)
            let directory = try Programs.scripts(scripts).path
            let reach = cluster.host.map { ["--host", $0] } ?? []
            var ratios: [(step: String, line: String)] = []
            for step in Self.steps where only.isEmpty || only.contains(step) {
                let lines = switch step {
                case "tenant-move": try run([step] + reach + ["--port", String(cluster.port), "--database", database, "--psql", psql])
                case "queue": try await runQueue(owner: owner, scripts: directory)
                default: try run([step] + owner)
                }
                ratios += lines.map { (step, $0) }
            }
            try await cluster.drop(database)
            Self.printSummary(ratios)
        }

        /// The queue's benchmark, with pgqueuer beside it when --python has it.
        func runQueue(owner: [String], scripts directory: String) async throws -> [String] {
            var queue = ["queue", "--pgbench", pgbench, "--scripts", directory, "--pgbench-url", cluster.url(cluster.superuser, database)] + owner
            let peer = "pgqueuer_bench"
            let hasPeer = try Programs.capture(python, ["-c", "import pgqueuer, asyncpg"]).status == 0
            if hasPeer {
                try await cluster.recreate(peer)
                queue += ["--python", python, "--peer-url", cluster.url(cluster.superuser, peer)]
            } else {
                Output.note("\(python) has no pgqueuer: skipping the queue's peer comparison")
            }
            let lines = try run(queue)
            if hasPeer { try await cluster.drop(peer) }
            return lines
        }

        /// One benchmark of this executable, its figures printed as they come; its lines that
        /// give a ratio, for the summary.
        @discardableResult
        func run(_ arguments: [String]) throws -> [String] {
            Output.note("chitieu-bench \(arguments.prefix(1).joined())")
            let process = Process()
            process.executableURL = Programs.bench
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            try Programs.launch(process)
            var output = Data()
            while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                FileHandle.standardOutput.write(chunk)
                output.append(chunk)
            }
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchFailure("chitieu-bench \(arguments[0]) failed (exit \(process.terminationStatus))") }
            return Self.ratioLines(String(decoding: output, as: UTF8.self))
        }

        /// The lines of a benchmark's output that give a ratio ("ratio … ×", "… / … ×", "… ÷ …").
        static func ratioLines(_ output: String) -> [String] {
            output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { line in
                line.contains("÷") || line.contains("×") && (line.lowercased().hasPrefix("ratio") || line.contains(" / "))
            }
        }

        /// Every ratio the run printed, by benchmark, after the last one.
        static func printSummary(_ ratios: [(step: String, line: String)]) {
            guard !ratios.isEmpty else { return }
            print("\nsummary: each path against its reference (the lines above say what each reference writes)")
            for (step, line) in ratios { print("  \(step.padding(toLength: 12, withPad: " ", startingAt: 0)) \(line)") }
        }
    }
}

public import Foundation

/// What a program printed and how it ended.
public struct CommandResult: Sendable {
    /// The exit status (or 128 + signal).
    public var status: Int32
    /// Standard output.
    public var output: String
    /// Standard error.
    public var error: String
}

/// Runs the built `chitieu` executable as an operator would.
public enum ChitieuCommand {
    /// The `chitieu` executable next to the test bundle (built by `swift build --build-tests`).
    public static func executable() throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let path = dir.appendingPathComponent("chitieu").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let fallback = try TestDatabase.repositoryRoot().appendingPathComponent(".build/debug/chitieu").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw TestHarnessError("the chitieu executable is not built; run `swift build --build-tests`")
        }
        return fallback
    }

    /// Starts `chitieu serve` on 127.0.0.1:`port` with `workers` job workers, its output (logfmt)
    /// written to a file of its own; stop it with `terminate()` (SIGTERM) and `exited()`.
    public static func startDaemon(port: Int, workers: Int, databaseURL: String) throws -> ServedDaemon {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = ["serve", "--port", String(port), "--workers", String(workers), "--database-url", databaseURL]
        var environment = ProcessInfo.processInfo.environment
        environment["CHITIEU_SQL_DIR"] = try TestDatabase.sqlDirectory().path
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return ServedDaemon(process: process, log: log, handle: handle)
    }

    /// Starts `chitieu work` on a database (its output discarded); stop it with `terminate()`
    /// (SIGTERM) and `exited()`.
    public static func startWorker(databaseURL: String, concurrency: Int = 2, lease: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = ["work", "--concurrency", String(concurrency)] + (lease.map { ["--lease", $0] } ?? [])
            + ["--database-url", databaseURL, "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `chitieu` with arguments and extra environment variables, off the cooperative pool;
    /// `input` becomes its standard input.
    public static func run(_ arguments: [String], environment: [String: String], input: String? = nil) async throws -> CommandResult {
        let path = try executable()
        return try await offPool {
            let out = NSTemporaryDirectory() + "/chitieu-cmd-\(UUID().uuidString).out"
            let err = NSTemporaryDirectory() + "/chitieu-cmd-\(UUID().uuidString).err"
            let inputPath = NSTemporaryDirectory() + "/chitieu-cmd-\(UUID().uuidString).in"
            FileManager.default.createFile(atPath: inputPath, contents: Data((input ?? "").utf8))
            defer {
                unlink(out)
                unlink(err)
                unlink(inputPath)
            }
            var env = ProcessInfo.processInfo.environment
            for key in env.keys where key.hasPrefix("CHITIEU_") || key == "DATABASE_URL" { env[key] = nil }
            env.merge(environment) { $1 }
            let status = try Shell.spawn([path] + arguments, stdout: out, stderr: err, environment: env, stdin: inputPath)
            return CommandResult(
                status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                error: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }
}

/// Programs nobody here wrote, as independent clients (psql, python3).
public enum ExternalProgram {
    /// psql of the PostgreSQL installation the tests run on.
    public static func psql() throws -> String { try PostgresBinaries.locate() + "/psql" }

    /// A client program of the PostgreSQL installation the tests run on (pg_dump, pg_restore, pg_dumpall…).
    public static func postgres(_ name: String) throws -> String { try PostgresBinaries.locate() + "/" + name }

    /// The first of `names` found on PATH, or nil.
    public static func find(_ names: String...) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    /// Runs a program with arguments, off the cooperative pool: in `directory` when given (through
    /// coreutils' `env --chdir`), with `environment` added to the test's own.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil
    ) async throws -> CommandResult {
        try await offPool {
            let out = NSTemporaryDirectory() + "/chitieu-ext-\(UUID().uuidString).out"
            let err = NSTemporaryDirectory() + "/chitieu-ext-\(UUID().uuidString).err"
            defer {
                unlink(out)
                unlink(err)
            }
            var env = ProcessInfo.processInfo.environment
            env.merge(environment) { $1 }
            let chdir = directory.map { ["/usr/bin/env", "--chdir=\($0.path)"] } ?? []
            let status = try Shell.spawn(chdir + [path] + arguments, stdout: out, stderr: err, environment: env)
            return CommandResult(
                status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                error: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }
}

/// A `chitieu serve` process started by `ChitieuCommand.startDaemon`, and the file of its output.
public struct ServedDaemon {
    /// The daemon's process.
    public let process: Process
    /// The file its standard output and error go to.
    public let log: URL
    let handle: FileHandle

    /// Reads what the daemon has written so far (a closure that may be called from any task).
    public var output: @Sendable () -> String {
        let log = self.log
        return { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    /// Closes and removes the output file (once the test is done with it).
    public func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: log)
    }
}

/// `chitieu` run as the operator on one test database: the owner's connection and the SQL of
/// the checkout, as `./Deploy/dev env` sets them.
public struct OperatorCommands: Sendable {
    /// The checkout.
    public let root: URL
    /// The variables every run gets.
    public let environment: [String: String]

    public init(_ database: TestDatabase) throws {
        root = try TestDatabase.repositoryRoot()
        environment = ["CHITIEU_ADMIN_DATABASE_URL": database.ownerConnectionString, "CHITIEU_SQL_DIR": root.appendingPathComponent("SQL").path]
    }

    /// Runs `chitieu` with `arguments`; `input` becomes its standard input.
    public func run(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        try await ChitieuCommand.run(arguments, environment: environment, input: input)
    }

    /// The path of a file of the checkout.
    public func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The national units file of 2021.
    public var units2021: String { path("Deploy/data/vn-admin-units/units-2021.csv") }

    /// The Project 8 indicator catalogue.
    public var catalogue: String { path("Deploy/catalogue/project8-indicators.csv") }

    /// Commands over a fresh test database whose province 10 has the units of 2021 and the
    /// Project 8 catalogue, both imported by the commands.
    public static func withUnitsAndCatalogue() async throws -> OperatorCommands {
        let commands = try OperatorCommands(try await TestDatabase.make())
        try await commands.require(["units", "import", "--file", commands.units2021, "--province", "10"])
        try await commands.require(["indicator", "import", "--province", "10", "--file", commands.catalogue])
        return commands
    }

    /// Runs `chitieu` with `arguments` and throws, naming the command and what it said, unless it exits 0.
    @discardableResult
    public func require(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        let result = try await run(arguments, input: input)
        guard result.status == 0 else { throw CommandFailure(arguments: arguments, result: result) }
        return result
    }
}

/// A command that was to succeed and did not.
public struct CommandFailure: Error, CustomStringConvertible {
    /// The arguments it ran with.
    public var arguments: [String]
    /// How it ended.
    public var result: CommandResult

    public var description: String { "chitieu \(arguments.joined(separator: " ")) exited \(result.status): \(result.error)" }
}

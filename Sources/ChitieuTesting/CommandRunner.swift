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

    /// Runs a program with arguments, off the cooperative pool.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await offPool {
            let out = NSTemporaryDirectory() + "/chitieu-ext-\(UUID().uuidString).out"
            let err = NSTemporaryDirectory() + "/chitieu-ext-\(UUID().uuidString).err"
            defer {
                unlink(out)
                unlink(err)
            }
            var env = ProcessInfo.processInfo.environment
            env.merge(environment) { $1 }
            let status = try Shell.spawn([path] + arguments, stdout: out, stderr: err, environment: env)
            return CommandResult(
                status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                error: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }
}

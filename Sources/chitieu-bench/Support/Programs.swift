import ChitieuStore
import Foundation

/// A benchmark step that could not be done: the message says which and why.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The other programs a benchmark drives: `chitieu` beside this executable, pgbench, wrk,
/// psql, curl, Python.
enum Programs {
    /// The `chitieu` executable beside this one (built with it), so that what is measured is the
    /// production binary.
    static func chitieu() throws -> URL {
        let chitieu = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("chitieu")
        guard FileManager.default.isExecutableFile(atPath: chitieu.path) else {
            throw BenchFailure("no executable '\(chitieu.path)' beside chitieu-bench; build both products (swift build --product chitieu)")
        }
        return chitieu
    }

    /// This executable, for running one of its own commands as a process of its own.
    static var bench: URL { URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath() }

    /// The directory of the benchmarks' scripts: `scripts` if given, else `Deploy/bench` of the checkout.
    static func scripts(_ scripts: String?) throws -> URL {
        if let scripts { return URL(fileURLWithPath: scripts) }
        return try MigrationSet.locate().deletingLastPathComponent().appendingPathComponent("Deploy/bench")
    }

    /// Runs a program (a path, or a name looked up on the PATH) and waits for it: its exit status
    /// and its standard output. Its standard error goes to ours, or nowhere with `quiet`.
    /// With `timeout`, a program still running after it is stopped (SIGTERM, then SIGKILL) and
    /// reported as having failed.
    static func capture(
        _ program: String, _ arguments: [String], environment: [String: String] = [:], quiet: Bool = true, timeout: Duration? = nil
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        try launch(process)
        let watchdog = timeout.map { timeout in
            let stop = DispatchWorkItem {
                guard process.isRunning else { return }
                FileHandle.standardError.write(Data("\(program) still running after \(timeout): stopped\n".utf8))
                process.terminate()
                Thread.sleep(forTimeInterval: 5)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)), execute: stop)
            return stop
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog?.cancel()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts `process` with SIGALRM unblocked on the calling thread. A child inherits the signal
    /// mask of the thread that starts it, and the threads of Swift's concurrency (libdispatch)
    /// block signals: started from one of them, `pgbench -T`, which stops when its SIGALRM
    /// arrives, would run for ever.
    static func launch(_ process: Process) throws {
        var alarm = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &alarm, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Runs a program that must succeed; its standard output. A failure (or, with `timeout`, a
    /// program still running then) names the command.
    @discardableResult
    static func output(_ program: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil) throws -> String {
        let (status, output) = try capture(program, arguments, environment: environment, quiet: false, timeout: timeout)
        guard status == 0 else {
            throw BenchFailure("'\(([URL(fileURLWithPath: program).lastPathComponent] + arguments.prefix(4)).joined(separator: " "))' failed (exit \(status))")
        }
        return output
    }

    /// Starts a program in the background, its standard output and error into `log`, or ours
    /// with `inherit`, or nowhere.
    static func start(_ executable: URL, _ arguments: [String], log: URL? = nil, inherit: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if inherit {
            // Standard output and error stay ours.
        } else if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try launch(process)
        return process
    }

    /// Stops a process started by `start` (SIGTERM) and waits for it.
    static func stop(_ process: Process) {
        process.terminate()
        process.waitUntilExit()
    }

    /// The number `offset` words before the last word of `line` ("… 5319 jobs/s": offset 1).
    static func figure(_ line: String, fromEnd offset: Int) -> Double? {
        let words = line.split(separator: " ")
        return words.count > offset ? Double(words[words.count - 1 - offset]) : nil
    }

    /// The first word after `prefix` on the first line of `text` that starts with it (after blanks).
    static func field(_ text: String, after prefix: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(prefix) {
                return trimmed.dropFirst(prefix.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
            }
        }
        return nil
    }
}

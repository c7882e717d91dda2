import ChitieuStore
public import Foundation
import Logging
public import Postgres

/// A throwaway PostgreSQL cluster for tests, started once per test process and removed when
/// the process exits. With `CHITIEU_TEST_DATABASE_URL` set, that server is used instead
/// (it must let the URL's role create roles and databases).
///
/// The cluster listens on a Unix socket in its own folder only (no TCP port, so parallel
/// runs never collide), runs as the OS user `postgres` when the tests run as root, and
/// trades durability for speed (fsync off).
public final class TestCluster: Sendable {
    /// The superuser connection string (libpq key-value form).
    public let superuserConnectionString: String
    /// Socket folder, or nil for an external server.
    public let socketDirectory: String?
    /// The data folder, for tests that restart the server; nil for an external server.
    public let dataDirectory: String?
    let root: String?

    /// The cluster shared by every test of this process.
    public static func shared() async throws -> TestCluster {
        try await sharedCluster.value
    }

    private static let sharedCluster = Task<TestCluster, any Error> {
        if let url = ProcessInfo.processInfo.environment["CHITIEU_TEST_DATABASE_URL"], !url.isEmpty {
            return TestCluster(superuser: url, socketDirectory: nil, dataDirectory: nil, root: nil)
        }
        return try TestCluster.start()
    }

    init(superuser: String, socketDirectory: String?, dataDirectory: String?, root: String?) {
        self.superuserConnectionString = superuser
        self.socketDirectory = socketDirectory
        self.dataDirectory = dataDirectory
        self.root = root
    }

    /// Starts a new private cluster (tests of restarts use their own).
    public static func start() throws -> TestCluster {
        let bin = try PostgresBinaries.locate()
        var template = Array("/tmp/chitieu-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestHarnessError("cannot create a temporary folder") }
        let root = String(cString: made)
        let data = root + "/data"
        chmod(root, 0o755)
        TestClusterRegistry.register(root: root, data: data, bin: bin)
        let runAs = getuid() == 0 ? "postgres" : nil
        if let runAs {
            try Shell.run("/bin/chown", [runAs, root])
        }
        try Shell.run(bin + "/initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], as: runAs)
        let options = "-k \(root) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        try Shell.run(bin + "/pg_ctl", ["-D", data, "-o", options, "-l", root + "/log", "-w", "-t", "60", "start"], as: runAs)
        let cluster = TestCluster(
            superuser: "host=\(root) dbname=postgres user=postgres", socketDirectory: root, dataDirectory: data, root: root)
        return cluster
    }

    /// Restarts the server (pg_ctl restart), keeping its data.
    public func restart() throws {
        guard let dataDirectory, let root else { throw TestHarnessError("an external test server cannot be restarted") }
        let bin = try PostgresBinaries.locate()
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "restart"], as: getuid() == 0 ? "postgres" : nil)
        _ = root
    }

    /// Stops the server (fast mode), keeping its data.
    public func stop() throws {
        guard let dataDirectory else { throw TestHarnessError("an external test server cannot be stopped") }
        let bin = try PostgresBinaries.locate()
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], as: getuid() == 0 ? "postgres" : nil)
    }

    /// Starts the server again after `stop`.
    public func startAgain() throws {
        guard let dataDirectory, let root else { throw TestHarnessError("an external test server cannot be started") }
        let bin = try PostgresBinaries.locate()
        let options = "-k \(root) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=200"
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-o", options, "-l", root + "/log", "-w", "-t", "60", "start"], as: getuid() == 0 ? "postgres" : nil)
    }

    /// Stops the server and removes its folder now rather than at exit.
    public func destroy() {
        if let root { TestClusterRegistry.destroy(root: root) }
    }

    /// A connection string for a database and role of this cluster.
    public func connectionString(database: String, user: String) -> String {
        if let socketDirectory {
            return "host=\(socketDirectory) dbname=\(database) user=\(user)"
        }
        return superuserConnectionString + (superuserConnectionString.contains("://") ? "" : " dbname=\(database) user=\(user)")
    }
}

/// An error of the test harness itself.
public struct TestHarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Finds the PostgreSQL server programs: `CHITIEU_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian), else `pg_config --bindir`.
enum PostgresBinaries {
    static func locate() throws -> String {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["CHITIEU_PG_BINDIR"], fm.fileExists(atPath: dir + "/initdb") {
            return dir
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where fm.fileExists(atPath: "\(base)/\(version)/bin/initdb") {
            return "\(base)/\(version)/bin"
        }
        if let out = try? Shell.output("/usr/bin/env", ["pg_config", "--bindir"]),
            fm.fileExists(atPath: out.trimmingCharacters(in: .whitespacesAndNewlines) + "/initdb")
        {
            return out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw TestHarnessError("PostgreSQL server programs (initdb, pg_ctl) not found: install postgresql, or set CHITIEU_PG_BINDIR or CHITIEU_TEST_DATABASE_URL")
    }
}

/// Runs programs for the harness.
enum Shell {
    /// Runs a program (as another OS user through runuser when asked) and fails on a non-zero exit.
    static func run(_ program: String, _ arguments: [String], as user: String? = nil) throws {
        _ = try output(program, arguments, as: user)
    }

    static func output(_ program: String, _ arguments: [String], as user: String? = nil) throws -> String {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw TestHarnessError("\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}

/// Clusters to stop and remove when the test process exits.
enum TestClusterRegistry {
    private static let clusters = LockedBox<[String: (data: String, bin: String)]>([:])
    private static let installed = LockedBox(false)

    static func register(root: String, data: String, bin: String) {
        clusters.withLock { $0[root] = (data, bin) }
        installed.withLock { done in
            guard !done else { return }
            done = true
            atexit { TestClusterRegistry.destroyAll() }
        }
    }

    static func destroy(root: String) {
        guard let entry = clusters.withLock({ $0.removeValue(forKey: root) }) else { return }
        _ = try? Shell.run(entry.bin + "/pg_ctl", ["-D", entry.data, "-m", "immediate", "-w", "stop"], as: getuid() == 0 ? "postgres" : nil)
        try? FileManager.default.removeItem(atPath: root)
    }

    static func destroyAll() {
        for root in clusters.withLock({ Array($0.keys) }) { destroy(root: root) }
    }
}

/// A value behind a lock, for the harness's process-wide state.
final class LockedBox<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched with `lock` held.
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

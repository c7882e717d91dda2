import ChitieuStore
import Dispatch
import Synchronization
import Foundation
import Logging
import Postgres

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
    /// The server's log file (its standard error), for tests that read what it logged; nil for an external server.
    public var logFile: String? { root.map { $0 + "/log" } }
    let root: String?

    /// The cluster shared by every test of this process.
    public static func shared() async throws -> TestCluster {
        try await sharedCluster.value
    }

    private static let sharedCluster = Task<TestCluster, any Error> {
        if let url = ProcessInfo.processInfo.environment["CHITIEU_TEST_DATABASE_URL"], !url.isEmpty {
            return TestCluster(superuser: url, socketDirectory: nil, dataDirectory: nil, root: nil)
        }
        return try await TestCluster.start()
    }

    init(superuser: String, socketDirectory: String?, dataDirectory: String?, root: String?) {
        self.superuserConnectionString = superuser
        self.socketDirectory = socketDirectory
        self.dataDirectory = dataDirectory
        self.root = root
    }

    /// Starts a new private cluster (tests of restarts use their own). `settings` are more
    /// server settings (`-c name=value`), e.g. a TCP port and TLS; `binDirectory` names the
    /// server programs of another installation (e.g. one with Citus).
    public static func start(settings: [String: String] = [:], binDirectory: String? = nil) async throws -> TestCluster {
        try await offPool { try startBlocking(settings: settings, binDirectory: binDirectory) }
    }

    static func startBlocking(settings: [String: String] = [:], binDirectory: String? = nil) throws -> TestCluster {
        let bin = try binDirectory ?? PostgresBinaries.locate()
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
        // Suites run in parallel, each with its own pools and daemons: 400 leaves room on a loaded machine.
        var options = "-k \(root) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB"
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(name)='\(value)'" }
        try Shell.run(bin + "/pg_ctl", ["-D", data, "-o", options, "-l", root + "/log", "-w", "-t", "60", "start"], as: runAs)
        let cluster = TestCluster(
            superuser: "host=\(root) dbname=postgres user=postgres", socketDirectory: root, dataDirectory: data, root: root)
        return cluster
    }

    /// Restarts the server (pg_ctl restart), keeping its data.
    public func restart() async throws {
        try await offPool { try self.restartBlocking() }
    }

    func restartBlocking() throws {
        guard let dataDirectory, let root else { throw TestHarnessError("an external test server cannot be restarted") }
        let bin = try PostgresBinaries.locate()
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "restart"], as: getuid() == 0 ? "postgres" : nil)
        _ = root
    }

    /// Stops the server (fast mode), keeping its data.
    public func stop() async throws {
        try await offPool { try self.stopBlocking() }
    }

    func stopBlocking() throws {
        guard let dataDirectory else { throw TestHarnessError("an external test server cannot be stopped") }
        let bin = try PostgresBinaries.locate()
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], as: getuid() == 0 ? "postgres" : nil)
    }

    /// Starts the server again after `stop`.
    public func startAgain() async throws {
        try await offPool { try self.startAgainBlocking() }
    }

    func startAgainBlocking() throws {
        guard let dataDirectory, let root else { throw TestHarnessError("an external test server cannot be started") }
        let bin = try PostgresBinaries.locate()
        let options = "-k \(root) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=400"
        try Shell.run(bin + "/pg_ctl", ["-D", dataDirectory, "-o", options, "-l", root + "/log", "-w", "-t", "60", "start"], as: getuid() == 0 ? "postgres" : nil)
    }

    /// Stops the server and removes its folder now rather than at exit, off the cooperative pool.
    public func destroy() async {
        guard let root else { return }
        _ = try? await offPool { TestClusterRegistry.destroy(root: root) }
    }

    /// Runs `body` with this cluster, then destroys it, also when `body` throws
    /// (a `defer` cannot await the destruction).
    public func use<T>(_ body: (TestCluster) async throws -> T) async throws -> T {
        let value: T
        do {
            value = try await body(self)
        } catch {
            await destroy()
            throw error
        }
        await destroy()
        return value
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

    /// Runs a program and waits for it with waitpid. Output goes to a file, not a pipe:
    /// `pg_ctl start` leaves the server holding the descriptors it inherited, so neither a pipe
    /// nor Foundation's Process (which watches descriptors) would see it finish.
    static func output(_ program: String, _ arguments: [String], as user: String? = nil) throws -> String {
        let argv = (user.map { ["/usr/sbin/runuser", "-u", $0, "--", program] } ?? [program]) + arguments
        let logPath = NSTemporaryDirectory() + "/chitieu-shell-\(UUID().uuidString).log"
        defer { unlink(logPath) }
        let status = try spawn(argv, stdout: logPath, stderr: nil, environment: nil)
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TestHarnessError("\(argv.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    /// posix_spawn + waitpid; output to files (stderr joins stdout when nil). Returns the exit status.
    static func spawn(_ argv: [String], stdout: String, stderr: String?, environment: [String: String]?, stdin: String = "/dev/null") throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArgs { free(pointer) } }
        var cEnv: [UnsafeMutablePointer<CChar>?] = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, &cEnv)
        guard spawned == 0 else { throw TestHarnessError("cannot start \(argv[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if (status & 0x7f) != 0 { return 128 + (status & 0x7f) }
        return (status >> 8) & 0xff
    }
}

/// Runs blocking harness work (programs, waits) on a dispatch queue, off Swift's cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Clusters to stop and remove when the test process exits.
enum TestClusterRegistry {
    private static let clusters = Mutex<[String: ClusterPaths]>([:])
    private static let installed = Mutex(false)

    static func register(root: String, data: String, bin: String) {
        clusters.withLock { $0[root] = ClusterPaths(data: data, bin: bin) }
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

/// Where a test cluster's data and programs are.
struct ClusterPaths: Sendable {
    var data: String
    var bin: String
}

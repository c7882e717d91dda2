import ChitieuTesting
import Dispatch
import Foundation
import Testing

/// The whole workload of `Deploy/citus/check` on a throwaway Citus cluster (a coordinator and two
/// workers) and on one plain PostgreSQL server, with the same answers. Runs when
/// `CHITIEU_CITUS_PG_BINDIR` names the bin folder of a PostgreSQL with the `citus` extension.
@Suite("Citus integration", .serialized)
struct CitusIntegrationTests {
    /// The bin folder of a PostgreSQL with Citus, or why there is none.
    static let citus: (bin: String?, reason: String) = {
        guard let bin = ProcessInfo.processInfo.environment["CHITIEU_CITUS_PG_BINDIR"], !bin.isEmpty else {
            return (nil, "CHITIEU_CITUS_PG_BINDIR is not set")
        }
        guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            return (nil, "CHITIEU_CITUS_PG_BINDIR=\(bin) has no initdb")
        }
        guard let lib = try? run([bin + "/pg_config", "--pkglibdir"]).output.trimmingCharacters(in: .whitespacesAndNewlines),
              FileManager.default.fileExists(atPath: lib + "/citus.so") else {
            return (nil, "the PostgreSQL of CHITIEU_CITUS_PG_BINDIR=\(bin) has no citus extension (no citus.so in pg_config --pkglibdir)")
        }
        return (bin, "")
    }()

    static var enabled: Bool {
        if citus.bin == nil { print("Citus integration skipped: \(citus.reason)") }
        return citus.bin != nil
    }

    // Skipped without a Citus build: the reason is printed (CHITIEU_CITUS_PG_BINDIR, see docs/development.md).
    @Test(.enabled(if: enabled, "needs CHITIEU_CITUS_PG_BINDIR naming a PostgreSQL with the citus extension"), .timeLimit(.minutes(20)))
    func theWorkloadGivesTheSameAnswersOnCitusAsOnOneServer() async throws {
        let bin = try #require(Self.citus.bin)
        let root = try TestDatabase.repositoryRoot()
        let check = root.appendingPathComponent("Deploy/citus/check").path
        let chitieu = try ChitieuCommand.executable()
        let answers = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-citus-answers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: answers) }

        var nodes: [(cluster: TestCluster, port: Int)] = []
        // The nodes are removed at the end, and at the process's exit when the test throws.
        let first = Int.random(in: 20000...29000)
        for index in 0..<3 {
            let port = first + index * 7
            let cluster = try await TestCluster.start(
                settings: ["listen_addresses": "127.0.0.1", "port": String(port), "shared_preload_libraries": "citus", "wal_level": "logical",
                           "max_connections": "200"],
                binDirectory: bin)
            nodes.append((cluster, port))
        }
        func psql(_ port: Int, _ database: String, _ sql: String) throws {
            let result = try Self.run(["psql", "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            guard result.status == 0 else { throw TestHarnessError("psql on port \(port): \(sql): \(result.output)") }
        }
        let (coordinator, workers) = (nodes[0].port, nodes[1...].map(\.port))
        for database in ["chitieu", "chitieu_import"] {
            for node in nodes {
                try psql(node.port, "postgres", "CREATE DATABASE \(database) TEMPLATE template0 ENCODING 'UTF8'")
                try psql(node.port, database, "CREATE EXTENSION citus")
            }
            try psql(coordinator, database, "SELECT citus_set_coordinator_host('127.0.0.1', \(coordinator))")
            for worker in workers { try psql(coordinator, database, "SELECT citus_add_node('127.0.0.1', \(worker))") }
            let roles = try Self.run(["psql", "host=127.0.0.1 port=\(coordinator) dbname=\(database) user=postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                      "-f", root.appendingPathComponent("Deploy/citus/roles.sql").path])
            #expect(roles.status == 0, "roles.sql: \(roles.output)")
        }
        let onCitus = try Self.run(
            [check, "--coordinator", "host=127.0.0.1 port=\(coordinator) dbname=chitieu", "--chitieu", chitieu,
             "--http-port", String(Int.random(in: 20000...29999)), "--answers", answers.appendingPathComponent("citus").path,
             "--import-into", "host=127.0.0.1 port=\(coordinator) dbname=chitieu_import"])
        print("Deploy/citus/check on Citus (coordinator and two workers):\n\(onCitus.output)")
        for node in nodes { await node.cluster.destroy() }

        // The same workload on one server: the database of the first test cluster, without citus.
        let plain = try await TestCluster.start(settings: ["listen_addresses": "127.0.0.1", "port": String(first + 3)], binDirectory: bin)
        let onOneServer = try await plain.use { _ in
            try psql(first + 3, "postgres", "CREATE DATABASE chitieu TEMPLATE template0 ENCODING 'UTF8'")
            try psql(first + 3, "chitieu", "CREATE ROLE chitieu_owner LOGIN CREATEROLE; CREATE ROLE chitieu_app LOGIN; ALTER DATABASE chitieu OWNER TO chitieu_owner")
            return try Self.run(
                [check, "--coordinator", "host=127.0.0.1 port=\(first + 3) dbname=chitieu", "--chitieu", chitieu,
                 "--http-port", String(Int.random(in: 20000...29999)), "--answers", answers.appendingPathComponent("one-server").path])
        }
        print("Deploy/citus/check on one server:\n\(onOneServer.output)")

        for (name, result) in [("Citus", onCitus), ("one server", onOneServer)] {
            let failed = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
            #expect(result.status == 0 && failed.isEmpty, "on \(name): \(failed.joined(separator: "\n"))")
            let ok = result.output.split(separator: "\n").filter { $0.hasPrefix("ok") }.count
            print("Citus integration, \(name): \(ok) ok, \(failed.count) failed")
        }

        // Every answer the same, file by file.
        let names = try FileManager.default.contentsOfDirectory(atPath: answers.appendingPathComponent("citus").path).sorted()
        let plainNames = try FileManager.default.contentsOfDirectory(atPath: answers.appendingPathComponent("one-server").path).sorted()
        #expect(names == plainNames, "answers on Citus: \(names), on one server: \(plainNames)")
        #expect(Set(names).isSuperset(of: ["completeness", "progress", "progress-2025", "targets", "views"]))
        for name in names where plainNames.contains(name) {
            let a = try String(contentsOf: answers.appendingPathComponent("citus/\(name)"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            let b = try String(contentsOf: answers.appendingPathComponent("one-server/\(name)"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            let difference = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(difference == nil && a.count == b.count,
                    "answer \(name) differs at line \((difference?.offset ?? min(a.count, b.count)) + 1): Citus \(difference.map { String($0.element.0) } ?? "\(a.count) lines"), one server \(difference.map { String($0.element.1) } ?? "\(b.count) lines")")
            print("answer \(name): \(a.count == b.count && difference == nil ? "the same" : "DIFFERS") (\(a.count) lines)")
        }
    }

    /// Runs a program, its output and error together.
    static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("CHITIEU_") || key.hasPrefix("PG") { environment[key] = nil }
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-citus-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}

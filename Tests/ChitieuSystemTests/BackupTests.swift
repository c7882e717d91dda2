import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The backup docs/operations.md prescribes: pg_dump -Fc of a database with data, pg_restore into a
/// fresh database of the same cluster (the roles are there already), and the doctor green on it.
@Suite("Backups: a dump restored is whole and safe")
struct BackupTests {
    /// Rows per table of schema chitieu, counted as the superuser (row-level security does not hide any).
    static func counts(_ connection: PostgresConnection) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let tables = try await connection.query(
            "SELECT relname FROM pg_class WHERE relnamespace = 'chitieu'::regnamespace AND relkind = 'r' ORDER BY 1"
        ).map { try $0.decode(String.self, at: 0) }
        for table in tables {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM chitieu.\(table)"))
            counts[table] = try rows[0].decode(Int.self, "n")
        }
        return counts
    }

    @Test func aDumpRestoredIntoAFreshDatabaseHasEveryRowAndPassesTheDoctor() async throws {
        let db = try await TestDatabase.make()
        let commands = try OperatorCommands(db)
        func run(_ args: [String], input: String? = nil) async throws {
            let result = try await commands.run(args, input: input)
            #expect(result.status == 0, "chitieu \(args.joined(separator: " ")): \(result.error)")
        }
        let reporter = "bc_\(UUID().uuidString.prefix(8).lowercased())"
        try await run(["units", "import", "--file", commands.units2021, "--province", "10"])
        try await run(["indicator", "import", "--province", "10", "--file", commands.catalogue])
        try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--value", "424"])
        try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--wait"])
        try await run(["result", "generate", "--province", "10", "--phase", "2021-2025", "--completion", "DA8-01=0.8"])
        try await run(["account", "create", "--province", "10", "--username", "quantri.\(reporter)", "--name", "Nguyễn Thị Hoà", "--password-stdin"],
                      input: "mật khẩu quản trị 2026\n")
        try await run(["grant", "add", "--province", "10", "--account", "quantri.\(reporter)", "--role", "province"])
        try await run(["reporting", "login", "create", "--province", "10", "--login", reporter], input: "mật khẩu báo cáo 2026\n")

        let source = try await db.superuserConnection()
        let before = try await Self.counts(source)
        await source.close()
        #expect(before["admin_unit"] == 161 && (before["target"] ?? 0) > 900 && (before["result"] ?? 0) > 0 && before["credential"] == 1, "\(before)")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dump = folder.appendingPathComponent("chitieu.dump").path
        let superuser = db.cluster.connectionString(database: db.name, user: "postgres")
        let dumped = try await ExternalProgram.run(try ExternalProgram.postgres("pg_dump"), ["-Fc", "-d", superuser, "-f", dump])
        #expect(dumped.status == 0, "\(dumped.error)")
        // Row-level security is forced on the owner too: it cannot dump the tenant tables.
        let asOwner = try await ExternalProgram.run(try ExternalProgram.postgres("pg_dump"), ["-Fc", "-d", db.ownerConnectionString, "-f", "/dev/null"])
        #expect(asOwner.status != 0)
        #expect(asOwner.error.contains("row-level security"))
        // The roles are the cluster's, not the database's: the reporting login is in pg_dumpall --roles-only only.
        let roles = try await ExternalProgram.run(
            try ExternalProgram.postgres("pg_dumpall"), ["--roles-only", "-d", db.cluster.connectionString(database: "postgres", user: "postgres")])
        #expect(roles.status == 0, "\(roles.error)")
        #expect(roles.output.contains("CREATE ROLE \(reporter);") && roles.output.contains("SCRAM-SHA-256$"))
        #expect(roles.output.contains("GRANT chitieu_reporting TO \(reporter)"))

        let restored = "\(db.name)_restored"
        let admin = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: db.cluster.superuserConnectionString), logger: TestDatabase.logger)
        try await admin.executeScript("CREATE DATABASE \(restored) OWNER chitieu_owner TEMPLATE template0 ENCODING 'UTF8'")
        let loaded = try await ExternalProgram.run(
            try ExternalProgram.postgres("pg_restore"), ["--exit-on-error", "-d", db.cluster.connectionString(database: restored, user: "postgres"), dump])
        #expect(loaded.status == 0, "\(loaded.error)")

        let copy = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: db.cluster.connectionString(database: restored, user: "postgres")), logger: TestDatabase.logger)
        #expect(try await Self.counts(copy) == before)

        // A database made by hand lets PUBLIC connect until the two statements of docs/operations.md are run.
        let files = try MigrationSet.load(from: try TestDatabase.sqlDirectory())
        let app = TestDatabase.pool(db.cluster.connectionString(database: restored, user: "chitieu_app"), maxConnections: 1)
        let first = await Doctor(pool: app, migrations: .success(files), logger: TestDatabase.logger).run()
        #expect(first.filter { $0.status != .ok }.map(\.name) == ["database_access"])
        try await copy.executeScript(
            "REVOKE CONNECT, TEMPORARY ON DATABASE \(restored) FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE \(restored) TO chitieu_app")
        let second = await Doctor(pool: app, migrations: .success(files), logger: TestDatabase.logger).run()
        for check in second { #expect(check.status == .ok, "\(check.name): \(check.detail)") }

        // The daemon's role still sees one province at a time in the copy.
        let province = try await copy.query("SELECT province_id FROM chitieu.province")[0].decode(Int64.self, "province_id")
        let rows = try await ChitieuDatabase(pool: app).withTenant(province) { tx in
            try await tx.query("SELECT count(*) AS n FROM chitieu.admin_unit WHERE province_id = \(tx.provinceID)")[0].decode(Int.self, "n")
        }
        #expect(rows == 161)
        #expect(try await app.query("SELECT count(*) AS n FROM chitieu.admin_unit")[0].decode(Int.self, "n") == 0)
        await app.shutdown()
        await copy.close()
        try await admin.executeScript("DROP DATABASE \(restored) WITH (FORCE)")
        await admin.close()
        try await run(["reporting", "login", "drop", reporter])
    }
}

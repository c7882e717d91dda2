import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The baseline (`SQL/migrations/baseline.sql`) that new databases run instead of the migrations
/// it replaces (`baseline.replaces`): what it records, what it refuses, and the schema it makes.
@Suite("Migrations: the baseline")
struct BaselineMigrationTests {
    func migrator() throws -> Migrator {
        Migrator(set: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: TestDatabase.logger)
    }

    func baseline() throws -> Baseline {
        try #require(try migrator().set.baseline, "SQL/migrations has a baseline")
    }

    struct Recorded: Equatable, CustomStringConvertible {
        var version: Int
        var name: String
        var checksum: String
        var description: String { "\(version) \(name) \(checksum)" }
    }

    static func recorded(_ pool: PostgresPool) async throws -> [Recorded] {
        try await pool.query("SELECT version, name, checksum FROM chitieu_migrations.applied ORDER BY version").map {
            Recorded(version: try $0.decode(Int.self, "version"), name: try $0.decode(String.self, "name"), checksum: try $0.decode(String.self, "checksum"))
        }
    }

    /// A database as the migrations of earlier releases left it: the bookkeeping tables (a run
    /// with no files makes them), then, when `objects`, the schema the migrations made (the
    /// baseline's, proven equal to theirs) and the first `count` replaced versions recorded as
    /// a step-by-step run recorded them, days ago.
    static func oldStyle(_ pool: PostgresPool, _ baseline: Baseline, count: Int, objects: Bool) async throws {
        let empty = Migrator(set: MigrationSet(migrations: [], repeatables: []), logger: TestDatabase.logger)
        _ = try await pool.withConnection { try await empty.migrate(on: $0) }
        let entries = Array(baseline.replaces.prefix(count))
        try await pool.withConnection { c in
            try await c.withTransaction { tx in
                if objects { try await tx.executeScript(baseline.sql) }
                try await tx.query(
                    """
                    INSERT INTO chitieu_migrations.applied (version, name, checksum, applied_at, duration_ms)
                    SELECT v, n, s, now() - interval '30 days' + v * interval '1 hour', 40
                    FROM unnest(\(entries.map(\.version))::int[], \(entries.map(\.name))::text[], \(entries.map(\.checksum))::text[]) AS e(v, n, s)
                    """)
            }
        }
    }

    @Test func aNewDatabaseRecordsEveryReplacedMigrationWithItsNameAndChecksum() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let migrator = try migrator()
        let baseline = try baseline()
        let report = try await pool.withConnection { try await migrator.migrate(on: $0) }
        #expect(report.baseline)
        #expect(report.applied.map(\.version) == baseline.replaces.map(\.version) + migrator.set.migrations.map(\.version))
        let expected = baseline.replaces.map { Recorded(version: $0.version, name: $0.name, checksum: $0.checksum) }
        #expect(Array(try await Self.recorded(pool).prefix(expected.count)) == expected)
        let statuses = try await pool.withConnection { try await migrator.status(on: $0) }
        #expect(statuses.count == migrator.set.versionCount && statuses.allSatisfy { $0.state == .applied })
        #expect(try await pool.withConnection { try await migrator.isCurrent(on: $0) })
        await pool.shutdown()
    }

    @Test func theListOfReplacedMigrationsIsWellFormed() throws {
        let baseline = try baseline()
        #expect(baseline.replaces.first?.version == 1)
        #expect(Set(baseline.replaces.map(\.checksum)).count == baseline.replaces.count)
        #expect(baseline.replaces.allSatisfy { $0.name.range(of: "^[a-z0-9_]+$", options: .regularExpression) != nil })
        #expect(try migrator().set.migrations.allSatisfy { $0.version > baseline.lastVersion })
        #expect(throws: SQLDirectoryError.self) { try Baseline.parseReplaces("0001 roles_and_schema not-a-checksum\n") }
        #expect(throws: SQLDirectoryError.self) {
            try Baseline.parseReplaces("0002 b \(String(repeating: "a", count: 64))\n0001 a \(String(repeating: "b", count: 64))\n")
        }
    }

    @Test func aNumberedFileWithAReplacedVersionIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baseline-\(UUID().uuidString)")
        let migrations = dir.appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try TestDatabase.sqlDirectory().appendingPathComponent("migrations")
        for file in ["baseline.sql", "baseline.replaces"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: migrations.appendingPathComponent(file))
        }
        #expect(try MigrationSet.load(from: dir).baseline != nil)
        try "SELECT 1;".write(to: migrations.appendingPathComponent("0002_again.sql"), atomically: true, encoding: .utf8)
        let error = #expect(throws: SQLDirectoryError.self) { try MigrationSet.load(from: dir) }
        #expect(error?.description.contains("0002_again.sql") == true)
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("0002_again.sql"))
        try FileManager.default.removeItem(at: migrations.appendingPathComponent("baseline.replaces"))
        #expect(throws: SQLDirectoryError.self) { try MigrationSet.load(from: dir) }
    }

    @Test func aDatabaseWithOnlySomeReplacedMigrationsIsRefusedAndLeftAsItWas() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let baseline = try baseline()
        try #require(baseline.replaces.count > 2)
        try await Self.oldStyle(pool, baseline, count: 2, objects: false)
        let migrator = try migrator()
        let error = await #expect(throws: MigrationError.self) { try await pool.withConnection { try await migrator.migrate(on: $0) } }
        let third = baseline.replaces[2]
        #expect(error?.description.contains(String(format: "%04d", third.version) + "_" + third.name) == true, "\(String(describing: error))")
        #expect(error?.description.contains("previous release") == true)
        let schema = try await pool.query("SELECT to_regnamespace('chitieu') IS NULL AS absent")[0].decode(Bool.self, "absent")
        #expect(schema)
        #expect(try await Self.recorded(pool).count == 2)
        #expect(try await pool.withConnection { try await migrator.isCurrent(on: $0) } == false)
        await pool.shutdown()
    }

    @Test func aDatabaseMigratedStepByStepIsCurrentAndTakesALaterMigration() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let baseline = try baseline()
        try await Self.oldStyle(pool, baseline, count: baseline.replaces.count, objects: true)
        let before = try await Self.recorded(pool)
        var set = try migrator().set
        let current = Migrator(set: set, logger: TestDatabase.logger)
        #expect(try await pool.withConnection { try await current.isCurrent(on: $0) } == set.migrations.isEmpty)
        let report = try await pool.withConnection { try await current.migrate(on: $0) }
        #expect(!report.baseline)
        #expect(report.applied.map(\.version) == set.migrations.map(\.version))
        #expect(Array(try await Self.recorded(pool).prefix(before.count)) == before)

        let next = (set.migrations.last?.version ?? baseline.lastVersion) + 1
        set.migrations.append(Migration(version: next, name: "next_step", sql: "ALTER TABLE chitieu.phase ADD COLUMN note text;"))
        let later = Migrator(set: set, logger: TestDatabase.logger)
        #expect(try await pool.withConnection { try await later.isCurrent(on: $0) } == false)
        let applied = try await pool.withConnection { try await later.migrate(on: $0) }
        #expect(applied.applied.map(\.version) == [next])
        #expect(try await pool.withConnection { try await later.isCurrent(on: $0) })
        let statuses = try await pool.withConnection { try await later.status(on: $0) }
        #expect(statuses.count == set.versionCount && statuses.allSatisfy { $0.state == .applied })
        await pool.shutdown()
    }

    @Test func aRecordOfAReplacedMigrationThatDiffersFromTheListIsRefused() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let baseline = try baseline()
        try await Self.oldStyle(pool, baseline, count: baseline.replaces.count, objects: true)
        let first = baseline.replaces[0]
        try await pool.query("UPDATE chitieu_migrations.applied SET checksum = repeat('0', 64) WHERE version = \(first.version)")
        let migrator = try migrator()
        let error = await #expect(throws: MigrationError.self) { try await pool.withConnection { try await migrator.migrate(on: $0) } }
        #expect(error?.description.contains("\(first.version)_\(first.name)") == true)
        #expect(try await pool.withConnection { try await migrator.isCurrent(on: $0) } == false)
        await pool.shutdown()
    }
}

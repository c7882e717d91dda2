import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Migrations")
struct MigrationTests {
    func migrator() throws -> Migrator {
        Migrator(set: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: TestDatabase.logger)
    }

    /// The owner's pool of a fresh database brought up to date by the checkout's migrator, and that migrator.
    func migratedPool() async throws -> (PostgresPool, Migrator) {
        let pool = try await TestDatabase.make(migrated: false).ownerPool()
        let migrator = try migrator()
        _ = try await pool.withConnection { try await migrator.migrate(on: $0) }
        return (pool, migrator)
    }

    @Test func migrateAppliesEverythingThenIsANoOp() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let migrator = try migrator()
        let first = try await pool.withConnection { try await migrator.migrate(on: $0) }
        #expect(first.applied.count == migrator.set.versionCount)
        #expect(first.repeatablesApplied.count == migrator.set.repeatables.count)
        let second = try await pool.withConnection { try await migrator.migrate(on: $0) }
        #expect(second.applied.isEmpty)
        #expect(second.repeatablesApplied.isEmpty)
        let statuses = try await pool.withConnection { try await migrator.status(on: $0) }
        #expect(statuses.allSatisfy { $0.state == .applied })
        #expect(try await pool.withConnection { try await migrator.isCurrent(on: $0) })
        await pool.shutdown()
    }

    @Test func twoConcurrentRunsBothSucceed() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool(maxConnections: 2)
        let migrator = try migrator()
        async let a = pool.withConnection { try await migrator.migrate(on: $0) }
        async let b = pool.withConnection { try await migrator.migrate(on: $0) }
        let (ra, rb) = try await (a, b)
        // One applied everything; the other waited on the lock and found nothing to do.
        #expect(ra.applied.count + rb.applied.count == migrator.set.versionCount)
        #expect(ra.applied.isEmpty || rb.applied.isEmpty)
        let count = try await pool.query("SELECT count(*) AS n FROM chitieu_migrations.applied")[0].decode(Int.self, "n")
        #expect(count == migrator.set.versionCount)
        await pool.shutdown()
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        var set = try migrator().set
        let next = (set.migrations.last?.version ?? set.baseline?.lastVersion ?? 0) + 1
        set.migrations.append(Migration(version: next, name: "later", sql: "CREATE TABLE chitieu.later (x int);"))
        let original = Migrator(set: set, logger: TestDatabase.logger)
        _ = try await pool.withConnection { try await original.migrate(on: $0) }
        var edited = set
        edited.migrations[edited.migrations.count - 1].sql += "\n-- a quiet edit\n"
        let changed = Migrator(set: edited, logger: TestDatabase.logger)
        let error = await #expect(throws: MigrationError.self) {
            try await pool.withConnection { try await changed.migrate(on: $0) }
        }
        #expect(error?.description.contains("\(next)_later") == true)
        #expect(error?.description.contains("changed") == true)
        #expect(try await pool.withConnection { try await changed.isCurrent(on: $0) } == false)
        await pool.shutdown()
    }

    /// A function whose signature changes is dropped with the views that call it: the views' file,
    /// unchanged, runs again after it; a failing file leaves every one as it was.
    @Test func aChangedRerunnableFileRunsThemAllAgainInOneTransaction() async throws {
        let (pool, original) = try await migratedPool()
        var changed = original.set
        changed.repeatables[0].sql += "\nDROP FUNCTION reporting.status_label(text) CASCADE;\n"
        var broken = changed
        broken.repeatables[broken.repeatables.count - 1].sql += "\nSELECT 1/0;\n"
        let failing = Migrator(set: broken, logger: TestDatabase.logger)
        let error = await #expect(throws: MigrationError.self) {
            try await pool.withConnection { try await failing.migrate(on: $0) }
        }
        #expect(error?.description.contains(broken.repeatables[broken.repeatables.count - 1].name) == true)
        let views: PostgresQuery = "SELECT count(*) FROM information_schema.views WHERE table_schema = 'reporting' AND table_name = 'progress_phase'"
        #expect(try await pool.query(views)[0].decode(Int.self, at: 0) == 1)

        let rerun = Migrator(set: changed, logger: TestDatabase.logger)
        let report = try await pool.withConnection { try await rerun.migrate(on: $0) }
        #expect(report.applied.isEmpty)
        #expect(report.repeatablesApplied == changed.repeatables.map(\.name))
        #expect(try await pool.query(views)[0].decode(Int.self, at: 0) == 1)
        #expect(try await pool.withConnection { try await rerun.migrate(on: $0) }.repeatablesApplied.isEmpty)
        await pool.shutdown()
    }

    @Test func aFailingMigrationIsRolledBackWhole() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        var set = try migrator().set
        set.migrations.append(Migration(version: 9999, name: "broken", sql: "CREATE TABLE chitieu.half_done (x int); SELECT 1/0;"))
        let broken = Migrator(set: set, logger: TestDatabase.logger)
        await #expect(throws: MigrationError.self) { try await pool.withConnection { try await broken.migrate(on: $0) } }
        let exists = try await pool.query("SELECT to_regclass('chitieu.half_done') IS NOT NULL AS e")[0].decode(Bool.self, "e")
        #expect(!exists)
        let applied = try await pool.query("SELECT max(version) AS v FROM chitieu_migrations.applied")[0].decode(Int.self, "v")
        // Everything before the broken one stays applied: the migrations after the baseline, or the baseline.
        #expect(applied == set.migrations.dropLast().last.map(\.version) ?? set.baseline?.lastVersion)
        await pool.shutdown()
    }
}

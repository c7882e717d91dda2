import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Synchronization
import Testing

/// The doctor's checks on a fresh database, then each one broken in a throwaway database.
@Suite("Doctor: checks of a deployment")
struct DoctorTests {
    func doctor(_ pool: PostgresPool, set: MigrationSet? = nil, clock: @escaping @Sendable () -> Date = { Date() }) throws -> Doctor {
        let files = try set ?? MigrationSet.load(from: try TestDatabase.sqlDirectory())
        return Doctor(pool: pool, migrations: .success(files), clock: clock, logger: TestDatabase.logger)
    }

    func run(_ pool: PostgresPool, set: MigrationSet? = nil, clock: @escaping @Sendable () -> Date = { Date() }) async throws -> [String: DoctorCheck] {
        let subject = try doctor(pool, set: set, clock: clock)
        let checks = await subject.run()
        #expect(checks.map(\.name) == Doctor.checkNames)
        return Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0) })
    }

    @Test func everyCheckIsGreenOnAFreshlyMigratedDatabase() async throws {
        let db = try await TestDatabase.make()
        let app = db.appPool(maxConnections: 1)
        let checks = try await run(app)
        for name in Doctor.checkNames {
            #expect(checks[name]?.status == .ok, "\(name): \(checks[name]?.detail ?? "missing")")
        }
        #expect(checks["database"]?.detail.contains("as chitieu_app") == true)
        #expect(checks["row_level_security"]?.detail.contains("tenant tables") == true)
        await app.shutdown()
    }

    @Test func aTenantTableWithoutForcedOrEnabledRowLevelSecurityFailsByName() async throws {
        let db = try await TestDatabase.make()
        let su = try await db.superuserConnection()
        try await su.executeScript(
            """
            ALTER TABLE chitieu.result NO FORCE ROW LEVEL SECURITY;
            ALTER TABLE chitieu.unit_attribute DISABLE ROW LEVEL SECURITY;
            CREATE TABLE chitieu.later_table (province_id bigint NOT NULL, note text);
            """)
        await su.close()
        let app = db.appPool(maxConnections: 1)
        let checks = try await run(app)
        let rls = try #require(checks["row_level_security"])
        #expect(rls.status == .fail)
        #expect(rls.detail.contains("chitieu.result: not forced"))
        #expect(rls.detail.contains("chitieu.unit_attribute: not enabled"))
        // A table added later with a province_id column is a tenant table too.
        #expect(rls.detail.contains("chitieu.later_table: not enabled"))
        #expect(rls.detail.contains("chitieu.later_table: no policy"))
        #expect(!rls.detail.contains("chitieu.admin_unit"))
        #expect(checks["roles"]?.status == .ok)
        await app.shutdown()
    }

    @Test func aDaemonRoleThatBypassesRowLevelSecurityOrOwnsTheTablesFails() async throws {
        let db = try await TestDatabase.make()
        let role = "doctor_\(UUID().uuidString.prefix(8).lowercased())"
        let su = try await db.superuserConnection()
        try await su.executeScript(
            "CREATE ROLE \(role) LOGIN BYPASSRLS; GRANT chitieu_app TO \(role); GRANT CONNECT ON DATABASE \(db.name) TO \(role)")
        let bypassing = PostgresPool(
            configuration: PostgresConfiguration(connectionString: db.connectionString(user: role), maxConnections: 1), logger: TestDatabase.logger)
        let roles = try #require(try await run(bypassing)["roles"])
        await bypassing.shutdown()
        #expect(roles.status == .fail)
        #expect(roles.detail.contains("\(role) (the role connected) has BYPASSRLS"))
        #expect(!roles.detail.contains("chitieu_app has"))

        // The owner is no daemon role: it owns the tables, so it could lift their row-level security.
        let owner = db.ownerPool(maxConnections: 1)
        let ownerRoles = try #require(try await run(owner)["roles"])
        await owner.shutdown()
        #expect(ownerRoles.status == .fail)
        #expect(ownerRoles.detail.contains("chitieu_owner (the role connected) owns"))
        #expect(ownerRoles.detail.contains("result"))

        try await su.executeScript("REVOKE CONNECT ON DATABASE \(db.name) FROM \(role); DROP ROLE \(role)")
        await su.close()
    }

    @Test func pendingChangedAndUnknownMigrationsFail() async throws {
        let db = try await TestDatabase.make()
        let app = db.appPool(maxConnections: 1)
        var files = try MigrationSet.load(from: try TestDatabase.sqlDirectory())
        files.migrations.append(Migration(version: 9998, name: "later", sql: "SELECT 1"))
        let pending = try #require(try await run(app, set: files)["migrations"])
        #expect(pending.status == .fail)
        #expect(pending.detail.contains("pending 9998_later"))
        #expect(pending.detail.contains("chitieu db migrate"))

        // What the baseline replaced is held against its list: a checksum that differs from the
        // database's record is a changed file; a recorded version the list lacks is unknown.
        var edited = try MigrationSet.load(from: try TestDatabase.sqlDirectory())
        var baseline = try #require(edited.baseline)
        baseline.replaces[0].checksum = String(repeating: "0", count: 64)
        let last = baseline.replaces.removeLast()
        edited.baseline = baseline
        let changed = try #require(try await run(app, set: edited)["migrations"])
        #expect(changed.status == .fail)
        #expect(changed.detail.contains("changed since applied \(String(format: "%04d", baseline.replaces[0].version))_"))
        #expect(changed.detail.contains("unknown to this binary \(String(format: "%04d", last.version))_\(last.name)"))
        await app.shutdown()
    }

    @Test func aDatabaseEveryRoleMayConnectToFails() async throws {
        let db = try await TestDatabase.make()
        let su = try await db.superuserConnection()
        try await su.executeScript("GRANT CONNECT ON DATABASE \(db.name) TO PUBLIC")
        await su.close()
        let app = db.appPool(maxConnections: 1)
        let access = try #require(try await run(app)["database_access"])
        #expect(access.status == .fail)
        #expect(access.detail.contains("PUBLIC may connect to database \(db.name)"))
        await app.shutdown()
    }

    /// On a cluster of its own: what `postgres` and `template1` allow is the cluster's, and other
    /// tests' databases would show in the answer.
    @Test func aReportingLoginThatMayConnectToAnotherDatabaseWarnsUntilTheRecipeRevokesIt() async throws {
        try await TestCluster.start().use { cluster in
            let db = try await TestDatabase.make(on: cluster)
            let app = db.appPool(maxConnections: 1)
            #expect(try await run(app)["reporting_access"]?.status == .ok, "no reporting login yet")
            let owner = ChitieuDatabase(pool: db.ownerPool(maxConnections: 1))
            let province = try await TenantStore(database: owner).create(
                code: "10", name: "Lào Cai", validFrom: PostgresDate(year: 2021, month: 1, day: 1), actor: .command("test"))
            _ = try await ReportingLogins(database: owner).create(province: province, login: "baocao_laocai", password: "mật khẩu báo cáo 2026")
            await owner.pool.shutdown()
            func connects(to database: String) async -> Bool {
                guard let c = try? await PostgresConnection.connect(
                    PostgresConfiguration(connectionString: cluster.connectionString(database: database, user: "baocao_laocai")), logger: TestDatabase.logger)
                else { return false }
                await c.close()
                return true
            }
            // A fresh cluster lets every role into postgres and template1: so the login may.
            #expect(await connects(to: "postgres"))
            #expect(await connects(to: "template1"))
            let open = try #require(try await run(app)["reporting_access"])
            #expect(open.status == .warn)
            #expect(open.detail.contains("baocao_laocai (postgres, template1)"), "\(open.detail)")
            #expect(open.detail.contains("REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC"))

            // The recipe's revocation: the login reaches its own database only, the daemon and the owner theirs.
            let su = try await PostgresConnection.connect(PostgresConfiguration(connectionString: cluster.superuserConnectionString), logger: TestDatabase.logger)
            try await su.executeScript("REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC")
            #expect(await connects(to: db.name))
            #expect(await !connects(to: "postgres"))
            #expect(await !connects(to: "template1"))
            let closed = try await run(app)
            #expect(closed["reporting_access"]?.status == .ok, "\(closed["reporting_access"]?.detail ?? "")")
            #expect(closed["database"]?.status == .ok)

            // A grant of its own elsewhere is found too.
            try await su.executeScript("CREATE DATABASE elsewhere")
            try await su.executeScript("GRANT CONNECT ON DATABASE elsewhere TO baocao_laocai")
            let granted = try #require(try await run(app)["reporting_access"])
            #expect(granted.status == .warn && granted.detail.contains("baocao_laocai (elsewhere)"), "\(granted.detail)")
            await su.close()
            await app.shutdown()
        }
    }

    @Test func stuckFailedAndAbandonedJobsWarnThenFail() async throws {
        let db = try await TestDatabase.make()
        let owner = db.ownerPool(maxConnections: 1)
        let app = db.appPool(maxConnections: 1)
        try await owner.query(
            """
            INSERT INTO chitieu.job (kind, state, run_at) VALUES ('allocate', 'pending', now() - interval '10 minutes');
            """)
        try await owner.query(
            """
            INSERT INTO chitieu.job (kind, state, attempts, last_error, finished_at) VALUES ('progress', 'failed', 10, 'boom', now() - interval '1 hour')
            """)
        try await owner.query(
            """
            INSERT INTO chitieu.job (kind, state, attempts, lease_until, worker) VALUES ('progress', 'running', 1, now() - interval '10 seconds', 'may-1:42')
            """)
        var checks = try await run(app)
        #expect(checks["jobs_pending"]?.status == .warn, "\(checks["jobs_pending"]?.detail ?? "")")
        #expect(checks["jobs_pending"]?.detail.contains("1 due job(s), the oldest waiting 10 min") == true)
        #expect(checks["jobs_failed"]?.status == .warn)
        #expect(checks["jobs_failed"]?.detail.contains("1 job(s) failed in the last 24 hours (progress)") == true)
        #expect(checks["jobs_leases"]?.status == .warn)
        #expect(checks["jobs_leases"]?.detail.contains("may-1:42") == true)

        try await owner.query("UPDATE chitieu.job SET run_at = now() - interval '2 hours' WHERE state = 'pending'")
        try await owner.query("UPDATE chitieu.job SET lease_until = now() - interval '10 minutes' WHERE state = 'running'")
        checks = try await run(app)
        #expect(checks["jobs_pending"]?.status == .fail)
        #expect(checks["jobs_leases"]?.status == .fail)
        #expect(checks["jobs_leases"]?.detail.contains("no worker is rescuing them") == true)

        // A failure older than a day is history, and a job due later is not late.
        try await owner.query("UPDATE chitieu.job SET finished_at = now() - interval '2 days' WHERE state = 'failed'")
        try await owner.query("UPDATE chitieu.job SET run_at = now() + interval '1 hour' WHERE state = 'pending'")
        checks = try await run(app)
        #expect(checks["jobs_failed"]?.status == .ok)
        #expect(checks["jobs_pending"]?.status == .ok)
        await owner.shutdown()
        await app.shutdown()
    }

    @Test func aClockAwayFromTheDatabasesWarnsThenFails() async throws {
        let db = try await TestDatabase.make()
        let app = db.appPool(maxConnections: 1)
        let slightly = try #require(try await run(app, clock: { Date().addingTimeInterval(10) })["clock"])
        #expect(slightly.status == .warn)
        #expect(slightly.detail.contains("behind this machine's"))
        let far = try #require(try await run(app, clock: { Date().addingTimeInterval(-120) })["clock"])
        #expect(far.status == .fail)
        #expect(far.detail.contains("ahead of this machine's"))
        #expect(far.detail.contains("NTP"))
        await app.shutdown()
    }

    /// The difference is known to within half the round trip: a slow one is not taken for a
    /// wrong clock.
    @Test func aSlowRoundTripIsNotTakenForAWrongClock() async throws {
        let db = try await TestDatabase.make()
        let app = db.appPool(maxConnections: 1)
        // Each reading before the query is 5 s early, each after it 1 s late: a round trip of
        // about 6 s whose midpoint is 2 s early, within its ± 3 s of the database's clock.
        let readings = Mutex(0)
        let slow: @Sendable () -> Date = {
            let n = readings.withLock { $0 += 1; return $0 }
            return Date().addingTimeInterval(n % 2 == 1 ? -5 : 1)
        }
        let check = try #require(try await run(app, clock: slow)["clock"])
        #expect(check.status == .ok, "\(check.detail)")
        #expect(check.detail.contains("ahead of this machine's (± 3"), "\(check.detail)")
        // A clock stepped back during every reading measures nothing: it says so.
        let back = Mutex(0)
        let stepped: @Sendable () -> Date = {
            let n = back.withLock { $0 += 1; return $0 }
            return Date().addingTimeInterval(n % 2 == 1 ? 5 : -5)
        }
        let unmeasured = try #require(try await run(app, clock: stepped)["clock"])
        #expect(unmeasured.status == .warn && unmeasured.detail.contains("went back"), "\(unmeasured.detail)")
        await app.shutdown()
    }

    @Test func anUnreachableDatabaseFailsEveryCheck() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: "host=/nonexistent-chitieu-socket dbname=chitieu user=chitieu_app", maxConnections: 1),
            logger: TestDatabase.logger)
        let checks = try await run(pool)
        #expect(checks.values.allSatisfy { $0.status == .fail })
        #expect(checks["database"]?.detail.contains("cannot be reached") == true)
        await pool.shutdown()
    }

    @Test func theCommandPrintsALinePerCheckAndExitsOneWhenACheckFails() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let env = [
            "CHITIEU_ADMIN_DATABASE_URL": db.ownerConnectionString, "CHITIEU_DATABASE_URL": db.appConnectionString,
            "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path,
        ]
        let before = try await ChitieuCommand.run(["doctor"], environment: env)
        #expect(before.status == 1)
        #expect(before.output.contains("fail  migrations"))
        #expect(try await ChitieuCommand.run(["db", "migrate"], environment: env).status == 0)

        let green = try await ChitieuCommand.run(["doctor"], environment: env)
        #expect(green.status == 0, "\(green.output)\(green.error)")
        let lines = green.output.split(separator: "\n")
        #expect(lines.count == Doctor.checkNames.count)
        #expect(lines.allSatisfy { $0.hasPrefix("ok    ") })

        let su = try await db.superuserConnection()
        try await su.executeScript("ALTER TABLE chitieu.audit_event NO FORCE ROW LEVEL SECURITY")
        await su.close()
        let broken = try await ChitieuCommand.run(["doctor", "--json"], environment: env)
        #expect(broken.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(broken.output.utf8)) as? [[String: String]])
        let rls = try #require(json.first { $0["check"] == "row_level_security" })
        #expect(rls["status"] == "fail")
        #expect(rls["detail"]?.contains("chitieu.audit_event: not forced") == true)
        #expect(json.filter { $0["status"] == "fail" }.count == 1)

        // libpq options of the connection string reach libpq untouched (sslmode, sslrootcert…).
        let tls = try await ChitieuCommand.run(["doctor", "--database-url", db.appConnectionString + " sslmode=verify-everything"], environment: env)
        #expect(tls.status == 1)
        #expect(tls.output.contains("invalid sslmode value"))
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Reporting logins: one province, read only, whatever the session sets")
struct ReportingLoginTests {
    /// A world with targets and results in both provinces, so every view has rows to leak.
    func world() async throws -> AccessWorld {
        let world = try await AccessWorld.make()
        let su = try await world.db.superuserConnection()
        for p in [world.a, world.b] {
            try await su.query(
                """
                INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin)
                SELECT i.province_id, i.indicator_id, u.unit_id, ph.phase_id, y, 424, 'assigned'
                FROM chitieu.indicator i
                JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level = 'province'
                JOIN chitieu.phase ph ON ph.province_id = i.province_id AND ph.code = '2021-2025'
                CROSS JOIN (VALUES (NULL::smallint), (2023::smallint)) AS years (y)
                WHERE i.province_id = \(p.id)
                """)
            try await su.query(
                """
                INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value)
                SELECT i.province_id, i.indicator_id, u.unit_id, '2023-01-01', '2023-12-31', 7
                FROM chitieu.indicator i JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level = 'commune'
                WHERE i.province_id = \(p.id) LIMIT 3
                """)
        }
        await su.close()
        for p in [world.a, world.b] {
            let phase = try await world.app.withTenant(p.id) { tx in
                try await tx.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(p.id) AND code = '2021-2025'")[0].decode(Int64.self, at: 0)
            }
            _ = try await ProgressStore(database: world.app).compute(province: p.id, phaseID: phase)
        }
        _ = try await Authenticator(database: world.app, passwordParameters: testPasswordParameters).issue(
            province: world.a.id, username: "tinh10", name: "tích hợp", lifetimeSeconds: nil, caller: .command("test"))
        return world
    }

    func connect(_ world: AccessWorld, as login: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: world.db.connectionString(user: login)), logger: TestDatabase.logger)
    }

    /// Counts of rows of the own and of other provinces in a relation.
    func counts(_ connection: PostgresConnection, _ relation: String, own: Int64) async throws -> (own: Int, other: Int) {
        let row = try await connection.query(PostgresQuery(unsafeSQL:
            "SELECT count(*) FILTER (WHERE province_id = \(own)), count(*) FILTER (WHERE province_id <> \(own)) FROM \(relation)"))[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }

    @Test func aLoginOfProvince10ReadsOnlyProvince10EvenAfterSettingAnotherProvince() async throws {
        let world = try await world()
        let owner = ChitieuDatabase(pool: world.db.ownerPool())
        let login = "baocao_laocai_\(UInt32.random(in: 0...UInt32.max))"
        let created = try await ReportingLogins(database: owner).create(province: world.a, login: login, password: "mật khẩu báo cáo 2026")
        #expect(created.provinceIDs == [world.a.id])
        let su = try await world.db.superuserConnection()
        let verifier = try await su.query("SELECT rolpassword FROM pg_authid WHERE rolname = \(login)")[0].decode(String.self, at: 0)
        #expect(verifier.hasPrefix("SCRAM-SHA-256$") && !verifier.contains("mật khẩu"))

        let reader = try await connect(world, as: login)
        let views = try await su.query("SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting' ORDER BY 1")
            .map { "reporting." + (try $0.decode(String.self, at: 0)) }
        #expect(Set(views).isSuperset(of: ["reporting.provinces", "reporting.units", "reporting.indicator", "reporting.target_yearly", "reporting.target_phase", "reporting.audit", "reporting.unit", "reporting.result", "reporting.progress_yearly", "reporting.progress_phase", "reporting.province_summary"]))
        let tables = try await su.query(
            """
            SELECT DISTINCT table_name FROM information_schema.role_table_grants
            WHERE grantee = 'chitieu_reporting' AND table_schema = 'chitieu' AND privilege_type = 'SELECT' ORDER BY 1
            """
        ).map { "chitieu." + (try $0.decode(String.self, at: 0)) }
        #expect(tables.contains("chitieu.result") && tables.contains("chitieu.audit_event"))
        #expect(!tables.contains { ["chitieu.credential", "chitieu.api_token", "chitieu.job", "chitieu.login_name", "chitieu.account", "chitieu.import_upload"].contains($0) })

        for setting in [nil, world.b.id] {
            if let setting { try await reader.query(PostgresQuery(unsafeSQL: "SET app.province_id = '\(setting)'")) }
            for relation in views + tables {
                let (own, other) = try await counts(reader, relation, own: world.a.id)
                #expect(other == 0, "\(relation) shows another province's rows (app.province_id = \(setting.map(String.init) ?? "unset"))")
                if !["chitieu.unit_succession", "chitieu.allocation_rule", "chitieu.unit_attribute", "chitieu.reporting_deadline", "chitieu.deadline_exception",
                      // Rows only once a province has merged or its units have changed (ReformTests reads them as old logins).
                      "chitieu.province_lineage", "chitieu.progress_on_units", "chitieu.progress_on_units_report", "reporting.progress_yearly_on_units", "reporting.progress_phase_on_units",
                      "reporting.unit_succession", "reporting.province_lineage"].contains(relation) {
                    #expect(own > 0, "\(relation) shows none of province 10's rows")
                }
            }
        }

        // Never credentials, tokens, accounts or the job queue; never a write, even after lifting read-only.
        for forbidden in ["chitieu.credential", "chitieu.api_token", "chitieu.job", "chitieu.login_name", "chitieu.login_throttle", "chitieu.account", "chitieu.role_grant"] {
            await #expect(throws: PostgresError.self, "\(forbidden) is readable") {
                try await reader.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(forbidden)"))
            }
        }
        try await reader.query("SET default_transaction_read_only = off")
        let writes = [
            "INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind) VALUES (\(world.a.id), 'X-1', 'Ghi', 'tổ', 'flow')",
            "UPDATE chitieu.target SET value = 0",
            "DELETE FROM chitieu.audit_event",
            "UPDATE reporting.indicator SET name = 'đổi'",
            "CREATE TABLE public.stolen (x int)",
            "SELECT chitieu.use_province(\(world.b.id))",
            "SET ROLE chitieu_app",
            "SELECT chitieu.create_reporting_login(\(world.b.id), 'other_login', 'SCRAM-SHA-256$x')",
        ]
        for statement in writes {
            do {
                try await reader.query(PostgresQuery(unsafeSQL: statement))
                Issue.record("a reporting login could run: \(statement)")
            } catch let error as PostgresError {
                #expect(["42501", "25006", "42809", "55000"].contains(error.sqlState ?? ""), "\(statement): \(error)")
            }
        }
        #expect(try await counts(reader, "chitieu.target", own: world.a.id).own == 2)
        await reader.close()

        // Token and job events stay out of the reporting login's audit trail.
        let auditReader = try await connect(world, as: login)
        #expect(try await su.query("SELECT count(*) FROM chitieu.audit_event WHERE entity_type = 'token'")[0].decode(Int.self, at: 0) > 0)
        #expect(try await auditReader.query("SELECT count(*) FROM reporting.audit WHERE entity_type IN ('token', 'job')")[0].decode(Int.self, at: 0) == 0)
        #expect(try await auditReader.query("SELECT count(*) FROM chitieu.audit_event WHERE entity_type IN ('token', 'job')")[0].decode(Int.self, at: 0) == 0)
        #expect(try await auditReader.query("SELECT count(*) FROM reporting.audit WHERE entity_type = 'account'")[0].decode(Int.self, at: 0) > 0)
        await auditReader.close()

        // Another chitieu database on the same cluster (whose province ids mean other provinces)
        // does not let this login in.
        let other = try await TestDatabase.make()
        await #expect(throws: PostgresError.self) {
            let c = try await PostgresConnection.connect(
                PostgresConfiguration(connectionString: other.connectionString(user: login)), logger: TestDatabase.logger)
            await c.close()
        }

        // list and drop; only reporting logins can be dropped.
        let logins = ReportingLogins(database: owner)
        #expect(try await logins.list().contains { $0.login == login && $0.provinceIDs == [world.a.id] })
        try await logins.drop(login: login)
        #expect(try await !logins.list().contains { $0.login == login })
        await expectError(.unprocessable) { try await logins.drop(login: "chitieu_app") }
        await expectError(.unprocessable) { try await logins.drop(login: login) }
        await su.close()
        await owner.pool.shutdown()
        await world.shutdown()
    }

    /// Old Lào Cai (10) merged into the new Lào Cai on 1 July 2025: its reporting login still reads
    /// everything it read, its phase I summary included (its province unit ended within the phase).
    @Test func anOldProvincesLoginKeepsEveryViewAfterTheReform() async throws {
        let world = try await world()
        let owner = ChitieuDatabase(pool: world.db.ownerPool())
        let login = "baocao_cu_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await ReportingLogins(database: owner).create(province: world.a, login: login, password: "mật khẩu báo cáo 2026")
        let su = try await world.db.superuserConnection()
        let views = try await su.query("SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting' AND table_name <> 'audit' ORDER BY 1")
            .map { "reporting." + (try $0.decode(String.self, at: 0)) }
        await su.close()
        func read() async throws -> (counts: [String: Int], summary: [String]) {
            let reader = try await connect(world, as: login)
            var seen: [String: Int] = [:]
            for view in views { seen[view] = try await counts(reader, view, own: world.a.id).own }
            let summary = try await reader.query(
                "SELECT phase, indicators, completed, summary_label FROM reporting.province_summary WHERE phase = '2021-2025'"
            ).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int.self, at: 1)) \(try $0.decode(Int.self, at: 2)) \(try $0.decode(String.self, at: 3))" }
            await reader.close()
            return (seen, summary)
        }
        let before = try await read()
        #expect(before.summary == ["2021-2025 1 0 0/1 chỉ tiêu đạt 100%"])

        _ = try await ReformStore(database: owner).apply(
            units: try AdminUnitsCSV.parse(try dataFile("units-2025.csv")), succession: try SuccessionCSV.parse(try dataFile("succession-2025.csv")),
            on: PostgresDate(year: 2025, month: 7, day: 1), provinceCodes: ["15"], actor: .command("test"), source: "units-2025.csv")
        let after = try await read()
        #expect(after.summary == before.summary, "phase I's summary stays")
        let completeness = ["reporting.completeness", "reporting.completeness_unit", "reporting.completeness_level"]
        for view in views where view != "reporting.province_summary" && view != "reporting.unit_summary" && !completeness.contains(view) {
            #expect(after.counts[view] == before.counts[view], "\(view)")
        }
        // Completeness expects reports of units valid in a period: the old units' periods before July 2025 stay, later ones go.
        for view in completeness {
            #expect((1..<(before.counts[view] ?? 0)).contains(after.counts[view] ?? 0), "\(view)")
        }
        #expect(after.counts["reporting.province_summary"] == 1, "phase I only: the province ended before phase II")
        #expect(after.counts["reporting.unit_summary"] == before.counts["reporting.unit_summary"].map { $0 / 2 },
                "phase I rows only: every old unit ended before phase II")
        try await ReportingLogins(database: owner).drop(login: login)
        await owner.pool.shutdown()
        await world.shutdown()
    }

    @Test func badLoginNamesAndPasswordsAreRefusedBeforeAnyRoleExists() async throws {
        let world = try await AccessWorld.make()
        let owner = ChitieuDatabase(pool: world.db.ownerPool())
        let logins = ReportingLogins(database: owner)
        for name in ["Robert'); DROP ROLE chitieu_app; --", "pg_reader", "chitieu_p1", "1abc", "ab", "báo_cáo", "has space", String(repeating: "a", count: 64)] {
            await expectError(.unprocessable, "\(name)") {
                _ = try await logins.create(province: world.a, login: name, password: "mật khẩu đủ dài 2026")
            }
        }
        await expectError(.unprocessable) { _ = try await logins.create(province: world.a, login: "baocao_ngan", password: "ngắn") }
        let taken = "baocao_trung_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await logins.create(province: world.a, login: taken, password: "mật khẩu đủ dài 2026")
        await expectError(.unprocessable) { _ = try await logins.create(province: world.b, login: taken, password: "mật khẩu đủ dài 2026") }
        try await logins.drop(login: taken)
        let su = try await world.db.superuserConnection()
        #expect(try await su.query("SELECT 1 FROM pg_roles WHERE rolname LIKE 'Robert%' OR rolname = 'pg_reader'").isEmpty)
        await su.close()
        await owner.pool.shutdown()
        await world.shutdown()
    }
}

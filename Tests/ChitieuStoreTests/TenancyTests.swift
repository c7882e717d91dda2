import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Tenancy: row-level security keeps provinces apart")
struct TenancyTests {
    /// Two provinces with units, an indicator, a target, a result, an account and an audit trail each.
    func twoProvinces() async throws -> (TestDatabase, Province, Province) {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv"))
        _ = try await UnitStore(database: owner).importUnits(
            file.filtered(province: "10"), validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil,
            actor: .command("test"), source: "units-2021.csv")
        _ = try await UnitStore(database: owner).importUnits(
            file.filtered(province: "15"), validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil,
            actor: .command("test"), source: "units-2021.csv")
        let store = TenantStore(database: owner)
        let a = try await store.resolve(code: "10")
        let b = try await store.resolve(code: "15")
        for province in [a, b] {
            try await owner.withTenant(province.id) { tx in
                try await tx.query(
                    """
                    INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind)
                    VALUES (\(tx.provinceID), 'TT-CD', 'Tổ truyền thông cộng đồng', 'tổ', 'stock')
                    """)
                try await tx.query(
                    """
                    INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, value, origin)
                    SELECT \(tx.provinceID), i.indicator_id, u.unit_id, p.phase_id, 424, 'assigned'
                    FROM chitieu.indicator i, chitieu.admin_unit u, chitieu.phase p
                    WHERE i.province_id = \(tx.provinceID) AND u.province_id = \(tx.provinceID) AND p.province_id = \(tx.provinceID)
                      AND u.level = 'province' AND p.code = '2021-2025'
                    """)
                try await tx.query(
                    """
                    INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value)
                    SELECT \(tx.provinceID), i.indicator_id, u.unit_id, '2023-01-01', '2023-12-31', 12
                    FROM chitieu.indicator i, chitieu.admin_unit u
                    WHERE i.province_id = \(tx.provinceID) AND u.province_id = \(tx.provinceID) AND u.level = 'province'
                    """)
                try await tx.query(
                    "INSERT INTO chitieu.account (province_id, username, display_name) VALUES (\(tx.provinceID), \("officer\(province.code)"), 'Cán bộ tỉnh')")
            }
        }
        await owner.pool.shutdown()
        return (db, a, b)
    }

    @Test func appRoleWithNoProvinceSeesNoRowsInAnyTenantTable() async throws {
        let (db, _, _) = try await twoProvinces()
        let app = db.appPool()
        let tables = try await tenantTables(app)
        #expect(tables.count >= 14)
        for table in tables {
            let n = try await app.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM chitieu.\(table)"))[0].decode(Int.self, "n")
            #expect(n == 0, "chitieu.\(table) shows \(n) rows with no province set")
        }
        // The superuser sees the data is there.
        let su = try await db.superuserConnection()
        #expect(try await su.query("SELECT count(DISTINCT province_id) AS n FROM chitieu.result")[0].decode(Int.self, "n") == 2)
        await su.close()
        await app.shutdown()
    }

    @Test func appRoleWithProvinceASeesNothingOfBAndCannotWriteB() async throws {
        let (db, a, b) = try await twoProvinces()
        let app = ChitieuDatabase(pool: db.appPool())
        let tables = try await tenantTables(app.pool)
        try await app.withTenant(a.id) { tx in
            for table in tables {
                let rows = try await tx.query(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FILTER (WHERE province_id = \(b.id)) AS other, count(*) AS mine FROM chitieu.\(table)"))
                #expect(try rows[0].decode(Int.self, "other") == 0, "chitieu.\(table) leaks province B")
            }
            #expect(try await tx.query("SELECT count(*) AS n FROM chitieu.admin_unit WHERE province_id = \(a.id)")[0].decode(Int.self, "n") > 100)
        }
        // Writing a row of B while serving A is refused by the database.
        let error = await #expect(throws: PostgresError.self) {
            try await app.withTenant(a.id) { tx in
                try await tx.query(
                    "INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind) VALUES (\(b.id), 'X', 'Chèn trộm', 'tổ', 'flow')")
            }
        }
        #expect(error?.sqlState == "42501")
        // Updating or deleting B's rows while serving A touches nothing.
        let touched = try await app.withTenant(a.id) { tx in
            try await tx.query("UPDATE chitieu.result SET value = 0 WHERE province_id = \(b.id)").affectedRows
                + (try await tx.query("DELETE FROM chitieu.account WHERE province_id = \(b.id)").affectedRows)
        }
        #expect(touched == 0)
        // Setting app.province_id outside a transaction-local SET is not how the app works,
        // but even then the policy only follows the setting: the audit log stays append-only.
        await #expect(throws: PostgresError.self) {
            try await app.withTenant(a.id) { tx in try await tx.query("DELETE FROM chitieu.audit_event WHERE province_id = \(a.id)") }
        }
        await app.pool.shutdown()
    }

    @Test func reportingLoginSeesItsOwnProvinceWhateverItSets() async throws {
        let (db, a, b) = try await twoProvinces()
        let su = try await db.superuserConnection()
        let login = "rep_\(UUID().uuidString.prefix(8).lowercased())"
        try await su.executeScript("CREATE ROLE \(login) LOGIN IN ROLE chitieu_reporting, \(a.reportingGroup); GRANT CONNECT ON DATABASE \(db.name) TO \(login)")
        await su.close()
        let reporter = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: db.connectionString(user: login)), logger: TestDatabase.logger)
        let own = try await reporter.query("SELECT DISTINCT province_id FROM reporting.units").map { try $0.decode(Int64.self, at: 0) }
        #expect(own == [a.id])
        let units = try await reporter.query("SELECT count(*) AS n FROM reporting.units")[0].decode(Int.self, "n")
        #expect(units == 161)
        // Claiming province B through the setting gains nothing.
        try await reporter.executeScript("SET app.province_id = '\(b.id)'")
        let after = try await reporter.query("SELECT DISTINCT province_id FROM chitieu.result").map { try $0.decode(Int64.self, at: 0) }
        #expect(after == [a.id])
        // Never credentials, tokens or the job queue; never a write.
        for table in ["credential", "api_token", "job", "account"] {
            let error = await #expect(throws: PostgresError.self) { try await reporter.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM chitieu.\(table)")) }
            #expect(error?.sqlState == "42501")
        }
        await #expect(throws: PostgresError.self) { try await reporter.query("UPDATE chitieu.result SET value = 1") }
        await reporter.close()
    }
}

@Suite("Schema: ready for Citus, and row-level security everywhere")
struct SchemaCheckTests {
    @Test func everyTenantTableFollowsTheRules() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        let tables = Set(try await tenantTables(pool))
        #expect(tables.isSuperset(of: ["province", "admin_unit", "unit_succession", "phase", "indicator", "target", "allocation_rule", "result", "progress", "account", "role_grant", "credential", "api_token", "audit_event"]))

        // province_id first in every primary key and unique constraint.
        let keys = try await pool.query(
            """
            SELECT c.relname AS tbl, k.conname, k.contype, a.attname AS first_column
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            WHERE n.nspname = 'chitieu' AND k.contype IN ('p', 'u') AND c.relname <> ALL (\(deploymentTables)::text[])
            """)
        var withPrimaryKey = Set<String>()
        for row in keys {
            let table = try row.decode(String.self, "tbl")
            let kind = try row.decode(String.self, "contype")
            let name = try row.decode(String.self, "conname")
            if kind == "p" { withPrimaryKey.insert(table) }
            // province.code/valid_from is the tenant catalogue's own natural key.
            if table == "province" && kind == "u" { continue }
            #expect(try row.decode(String.self, "first_column") == "province_id", "\(table).\(name) does not start with province_id")
        }
        #expect(withPrimaryKey == tables)

        // Tenant-to-tenant foreign keys carry province_id first on both sides; none is ON DELETE SET NULL;
        // no tenant table references a table outside the tenant set.
        let fks = try await pool.query(
            """
            SELECT c.relname AS tbl, r.relname AS ref, k.conname, k.confdeltype::text AS on_delete,
                   a.attname AS first_column, ra.attname AS ref_first_column
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class r ON r.oid = k.confrelid
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
            WHERE n.nspname = 'chitieu' AND k.contype = 'f' AND c.relname <> ALL (\(deploymentTables)::text[])
            """)
        #expect(fks.count > 20)
        for row in fks {
            let name = try row.decode(String.self, "conname")
            #expect(tables.contains(try row.decode(String.self, "ref")), "\(name) references a non-tenant table")
            #expect(try row.decode(String.self, "first_column") == "province_id", "\(name) lacks province_id")
            #expect(try row.decode(String.self, "ref_first_column") == "province_id", "\(name) lacks province_id")
            #expect(try row.decode(String.self, "on_delete") != "n", "\(name) is ON DELETE SET NULL")
        }

        // Row-level security enabled and forced, with policies.
        let rls = try await pool.query(
            """
            SELECT c.relname AS tbl, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'chitieu' AND c.relkind = 'r' AND c.relname <> ALL (\(deploymentTables)::text[])
            """)
        for row in rls {
            let table = try row.decode(String.self, "tbl")
            #expect(try row.decode(Bool.self, "enabled"), "\(table): RLS not enabled")
            #expect(try row.decode(Bool.self, "forced"), "\(table): RLS not forced")
            #expect(try row.decode(Int.self, "policies") >= 2, "\(table): missing policies")
        }

        // Ids are bigint or uuid, never int sequences.
        let ints = try await pool.query(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'chitieu' AND (is_identity = 'YES' OR column_default LIKE 'nextval%') AND data_type <> 'bigint'
            """)
        #expect(ints.isEmpty)

        // The daemon's role cannot bypass row-level security and does not own the tables.
        let role = try await pool.query(
            """
            SELECT r.rolbypassrls AS bypass, r.rolsuper AS super,
                   EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'chitieu' AND c.relowner = r.oid) AS owns
            FROM pg_roles r WHERE r.rolname = 'chitieu_app'
            """)
        #expect(try role[0].decode(Bool.self, "bypass") == false)
        #expect(try role[0].decode(Bool.self, "super") == false)
        #expect(try role[0].decode(Bool.self, "owns") == false)
        await pool.shutdown()
    }
}

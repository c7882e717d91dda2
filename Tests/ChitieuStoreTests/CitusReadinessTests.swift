import ChitieuStore
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The rules of DESIGN.md's "Ready for Citus", read from the catalogue of a migrated database,
/// and Deploy/citus/distribute.sql checked against it.
@Suite("Ready for Citus: the schema and distribute.sql")
struct CitusReadinessTests {
    /// The tenant tables: every table of schema chitieu with a province_id column, but the shared
    /// ones and the tenant catalogue (a reference table under Citus).
    static func tenantTables(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p')
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'province_id' AND NOT a.attisdropped)
              AND c.relname <> ALL (\(SchemaScope.sharedTables + [SchemaScope.catalogue])::text[])
            ORDER BY 1
            """
        ).map { try $0.decode(String.self, at: 0) }
    }

    /// Every way the schema breaks the rules, one line each naming the table and the constraint.
    static func schemaViolations(_ pool: PostgresPool) async throws -> [String] {
        let tenants = try await tenantTables(pool)
        var violations: [String] = []

        // Primary keys, unique constraints and unique indexes hold province_id.
        for row in try await pool.query(
            """
            SELECT c.relname AS tbl, i.indexrelid::regclass::text AS idx,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'province_id' AND a.attnum = ANY (i.indkey)) AS keyed
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE i.indisunique AND c.relname = ANY (\(tenants)::text[]) AND c.relnamespace = 'chitieu'::regnamespace
            """)
        {
            if !(try row.decode(Bool.self, "keyed")) {
                violations.append("\(try row.decode(String.self, "tbl")): unique key \(try row.decode(String.self, "idx")) lacks province_id")
            }
        }
        for row in try await pool.query(
            """
            SELECT c.relname AS tbl FROM pg_class c
            WHERE c.relname = ANY (\(tenants)::text[]) AND c.relnamespace = 'chitieu'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
            """)
        {
            violations.append("\(try row.decode(String.self, "tbl")): no primary key")
        }

        // Foreign keys of tenant tables: to a tenant table with province_id paired on both sides and
        // no SET NULL / SET DEFAULT, or to the tenant catalogue; to nothing else.
        for row in try await pool.query(
            """
            SELECT c.relname AS tbl, k.conname, r.relname AS ref, rn.nspname AS ref_schema,
                   k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update,
                   EXISTS (SELECT 1 FROM generate_subscripts(k.conkey, 1) s
                           JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[s]
                           JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[s]
                           WHERE a.attname = 'province_id' AND ra.attname = 'province_id') AS paired
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
            JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE k.contype = 'f' AND c.relname = ANY (\(tenants)::text[]) AND c.relnamespace = 'chitieu'::regnamespace
            """)
        {
            let table = try row.decode(String.self, "tbl")
            let name = try row.decode(String.self, "conname")
            let referenced = try row.decode(String.self, "ref")
            let inSchema = try row.decode(String.self, "ref_schema") == "chitieu"
            if inSchema && tenants.contains(referenced) {
                if !(try row.decode(Bool.self, "paired")) { violations.append("\(table): foreign key \(name) does not pair province_id with province_id") }
                for (action, when) in [(try row.decode(String.self, "on_delete"), "DELETE"), (try row.decode(String.self, "on_update"), "UPDATE")] {
                    if action == "n" { violations.append("\(table): foreign key \(name) is ON \(when) SET NULL") }
                    if action == "d" { violations.append("\(table): foreign key \(name) is ON \(when) SET DEFAULT") }
                }
            } else if !(inSchema && referenced == SchemaScope.catalogue) {
                violations.append("\(table): foreign key \(name) refers to the shared table \(referenced)")
            }
        }

        // Row-level security policies have no subquery (refused on distributed tables), and each
        // tenant table's own policy reads the transaction's province the way DESIGN.md says.
        for row in try await pool.query(
            """
            SELECT tablename AS tbl, policyname AS name, coalesce(qual, '') AS qual, coalesce(with_check, '') AS with_check,
                   (SELECT p.polqual::text LIKE '%{SUBLINK%' OR coalesce(p.polwithcheck::text, '') LIKE '%{SUBLINK%'
                    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                    WHERE c.relname = tablename AND c.relnamespace = 'chitieu'::regnamespace AND p.polname = policyname) AS sublink
            FROM pg_policies WHERE schemaname = 'chitieu'
            """)
        {
            let table = try row.decode(String.self, "tbl")
            let name = try row.decode(String.self, "name")
            let text = try row.decode(String.self, "qual") + " " + (try row.decode(String.self, "with_check"))
            if try row.decode(Bool.self, "sublink") || text.range(of: #"\b(SELECT|EXISTS)\b"#, options: [.regularExpression, .caseInsensitive]) != nil {
                violations.append("\(table): policy \(name) has a subquery")
            }
        }
        // No restrictive policy: Citus copies every policy to the shards as a permissive one, where
        // a restrictive condition would add rows instead of removing them.
        for row in try await pool.query(
            """
            SELECT c.relname AS tbl, p.polname AS name FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            WHERE NOT p.polpermissive AND c.relname = ANY (\(tenants + [SchemaScope.catalogue])::text[]) AND c.relnamespace = 'chitieu'::regnamespace
            """)
        {
            violations.append("\(try row.decode(String.self, "tbl")): policy \(try row.decode(String.self, "name")) is restrictive")
        }
        for table in tenants {
            let scope = try await pool.query(
                """
                SELECT qual FROM pg_policies WHERE schemaname = 'chitieu' AND tablename = \(table) AND policyname = 'tenant_scope'
                """)
            let qual = try scope.first.map { try $0.decode(String.self, "qual") } ?? ""
            if !qual.contains("NULLIF(current_setting('app.province_id'::text, true), ''::text)") {
                violations.append("\(table): no tenant_scope policy on nullif(current_setting('app.province_id', true), '')")
            }
        }

        // No trigger on a tenant table (audit events are written by the application).
        for row in try await pool.query(
            """
            SELECT c.relname AS tbl, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relname = ANY (\(tenants + [SchemaScope.catalogue])::text[]) AND c.relnamespace = 'chitieu'::regnamespace
            """)
        {
            violations.append("\(try row.decode(String.self, "tbl")): trigger \(try row.decode(String.self, "tgname"))")
        }

        // Sequences and identities are bigint.
        for row in try await pool.query(
            """
            SELECT s.seqrelid::regclass::text AS seq, format_type(s.seqtypid, NULL) AS type
            FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
            WHERE c.relnamespace = 'chitieu'::regnamespace AND s.seqtypid <> 'bigint'::regtype
            """)
        {
            violations.append("sequence \(try row.decode(String.self, "seq")) is \(try row.decode(String.self, "type")), not bigint")
        }
        return violations
    }

    /// The calls of a distribute.sql, in order: kind (distributed or reference), table, colocate_with.
    static func distributionCalls(_ sql: String) -> [(kind: String, table: String, colocateWith: String?)] {
        let code = sql.split(separator: "\n").map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n")
        let call = /create_(distributed|reference)_table\(\s*'chitieu\.([a-z_]+)'(?:\s*,\s*'province_id')?(?:\s*,\s*colocate_with\s*=>\s*'([a-z_.]+)')?\s*\)/
        return code.matches(of: call).map { (String($0.output.1), String($0.output.2), $0.output.3.map(String.init)) }
    }

    /// Every way distribute.sql misses the schema: a tenant table left out or named twice, a
    /// table co-located elsewhere, a table distributed before a table its foreign keys refer to.
    static func distributionViolations(_ pool: PostgresPool, sql: String) async throws -> [String] {
        let tenants = try await tenantTables(pool)
        let calls = distributionCalls(sql)
        var violations: [String] = []
        let distributed = calls.filter { $0.kind == "distributed" }.map(\.table)
        let references = calls.filter { $0.kind == "reference" }.map(\.table)
        for table in tenants where distributed.filter({ $0 == table }).count != 1 {
            violations.append("\(table): distributed \(distributed.filter { $0 == table }.count) times in distribute.sql, not once")
        }
        for table in distributed where !tenants.contains(table) { violations.append("\(table): distributed but not a tenant table") }
        for table in references where tenants.contains(table) { violations.append("\(table): a tenant table made a reference table") }
        if !references.contains(SchemaScope.catalogue) { violations.append("\(SchemaScope.catalogue): not a reference table") }
        if let first = distributed.first {
            for call in calls.filter({ $0.kind == "distributed" }).dropFirst() where call.colocateWith != "chitieu.\(first)" {
                violations.append("\(call.table): not co-located with chitieu.\(first)")
            }
        }
        let position = Dictionary(calls.enumerated().map { ($0.element.table, $0.offset) }, uniquingKeysWith: { first, _ in first })
        for row in try await pool.query(
            """
            SELECT DISTINCT c.relname AS tbl, r.relname AS ref FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
            WHERE k.contype = 'f' AND c.relnamespace = 'chitieu'::regnamespace AND c.relname <> r.relname
            """)
        {
            let table = try row.decode(String.self, "tbl")
            let referenced = try row.decode(String.self, "ref")
            if let at = position[table], let refAt = position[referenced], refAt > at {
                violations.append("\(table): distributed before \(referenced), which it refers to")
            }
        }
        if sql.range(of: #"ALTER ROLE chitieu_app SET citus\.propagate_set_commands = 'local'"#, options: .regularExpression) == nil {
            violations.append("chitieu_app: citus.propagate_set_commands is not set to 'local'")
        }
        return violations
    }

    static func distributeSQL() throws -> String {
        try String(contentsOf: try TestDatabase.repositoryRoot().appendingPathComponent("Deploy/citus/distribute.sql"), encoding: .utf8)
    }

    @Test func theMigratedSchemaFollowsEveryRule() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        let tenants = try await Self.tenantTables(pool)
        #expect(Set(tenants).isSuperset(of: [
            "admin_unit", "unit_succession", "phase", "indicator", "target", "allocation_rule", "unit_attribute", "result", "progress",
            "progress_run", "reporting_deadline", "deadline_exception", "account", "role_grant", "credential", "api_token", "audit_event",
        ]))
        let violations = try await Self.schemaViolations(pool)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
        await pool.shutdown()
    }

    @Test func distributeSQLNamesEveryTenantTableOnceInTheOrderOfItsForeignKeys() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        let sql = try Self.distributeSQL()
        let violations = try await Self.distributionViolations(pool, sql: sql)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
        #expect(Self.distributionCalls(sql).filter { $0.kind == "distributed" }.count == (try await Self.tenantTables(pool)).count)
        await pool.shutdown()
    }

    @Test func aTableThatBreaksTheRulesIsNamedWithEachRule() async throws {
        let db = try await TestDatabase.make()
        let su = try await db.superuserConnection()
        try await su.executeScript(
            """
            CREATE TABLE chitieu.careless (
                province_id bigint NOT NULL,
                careless_id serial PRIMARY KEY,
                code text UNIQUE,
                unit_id bigint,
                job_id bigint REFERENCES chitieu.job (job_id) ON DELETE CASCADE,
                FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE SET NULL
            );
            CREATE POLICY tenant_scope ON chitieu.careless USING (province_id IN (SELECT province_id FROM chitieu.province));
            CREATE POLICY careless_narrow ON chitieu.careless AS RESTRICTIVE FOR SELECT USING (code <> 'x');
            CREATE FUNCTION chitieu.careless_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER careless_audit AFTER INSERT ON chitieu.careless FOR EACH ROW EXECUTE FUNCTION chitieu.careless_audit();
            """)
        await su.close()
        let pool = db.ownerPool()
        let violations = try await Self.schemaViolations(pool).joined(separator: "\n")
        #expect(violations.contains("careless: unique key chitieu.careless_pkey lacks province_id"))
        #expect(violations.contains("careless: unique key chitieu.careless_code_key lacks province_id"))
        #expect(violations.contains("careless: foreign key careless_job_id_fkey refers to the shared table job"))
        #expect(violations.contains("careless: foreign key careless_province_id_unit_id_fkey is ON DELETE SET NULL"))
        #expect(violations.contains("careless: policy tenant_scope has a subquery"))
        #expect(violations.contains("careless: no tenant_scope policy on nullif"))
        #expect(violations.contains("careless: trigger careless_audit"))
        #expect(violations.contains("careless: policy careless_narrow is restrictive"))
        #expect(violations.contains("sequence chitieu.careless_careless_id_seq is integer, not bigint"))
        #expect(!violations.contains("admin_unit"))

        let missing = try await Self.distributionViolations(pool, sql: try Self.distributeSQL())
        #expect(missing == ["careless: distributed 0 times in distribute.sql, not once"])
        let reordered = try Self.distributeSQL().replacingOccurrences(
            of: "SELECT create_distributed_table('chitieu.phase'", with: "SELECT create_distributed_table('chitieu.target', 'province_id', colocate_with => 'chitieu.admin_unit');\nSELECT create_distributed_table('chitieu.phase'")
        let twice = try await Self.distributionViolations(pool, sql: reordered).joined(separator: "\n")
        #expect(twice.contains("target: distributed 2 times"))
        #expect(twice.contains("target: distributed before phase, which it refers to"))
        #expect(twice.contains("target: distributed before indicator, which it refers to"))
        await pool.shutdown()
    }
}

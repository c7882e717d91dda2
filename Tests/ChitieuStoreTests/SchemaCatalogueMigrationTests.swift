import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The schema the migrations make, object by object, held against `Tests/Schema/catalogue.txt`.
/// The baseline was proven equal to the migrations it replaced (the same `pg_dump
/// --schema-only`, privileges and policies) and this catalogue was written from it; an edit of
/// the baseline, or a later migration, shows here as the lines it changes. After a new
/// migration, write the catalogue again with `CHITIEU_WRITE_SCHEMA_CATALOGUE=1 swift test
/// --filter SchemaCatalogue` and read its diff. Functions and views of `SQL/repeatable` are left
/// out: they are not the migrations' and change freely.
@Suite("Migrations: the schema catalogue")
struct SchemaCatalogueMigrationTests {
    /// One line per object: relations (kind, persistence, row-level security, privileges),
    /// columns (position, type, collation, default, identity, privileges), constraints, indexes,
    /// policies, functions (signature, volatility, security, settings, privileges, a digest of
    /// the body), comments, schemas, the collation, the database's privileges and the schedules.
    static func catalogue(excluding: [String]) -> PostgresQuery {
        """
        WITH excluded AS (SELECT unnest(\(excluding)::text[]) AS name),
        rel AS (
            SELECT c.oid, n.nspname || '.' || c.relname AS name, c.relkind, c.relpersistence,
                   c.relrowsecurity, c.relforcerowsecurity, c.relacl
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('chitieu', 'reporting', 'chitieu_migrations') AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
              AND n.nspname || '.' || c.relname NOT IN (SELECT name FROM excluded)
        ),
        fn AS (
            SELECT p.oid::regprocedure::text AS sig, p.* FROM pg_proc p
            WHERE p.pronamespace::regnamespace::text IN ('chitieu', 'reporting')
              AND p.pronamespace::regnamespace::text || '.' || p.proname NOT IN (SELECT name FROM excluded)
        )
        SELECT line FROM (
            SELECT format('relation %s kind=%s persistence=%s rls=%s forced=%s acl=%s', name, relkind, relpersistence,
                          relrowsecurity, relforcerowsecurity, coalesce(relacl::text, '-')) AS line FROM rel
          UNION ALL
            SELECT format('column %s.%s #%s %s%s%s%s%s acl=%s', r.name, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod),
                          CASE WHEN a.attcollation <> t.typcollation THEN ' collate ' || co.collname ELSE '' END,
                          CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                          coalesce(CASE WHEN a.attgenerated = 's' THEN ' generated ' ELSE ' default ' END || pg_get_expr(d.adbin, d.adrelid), ''),
                          CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END,
                          coalesce(a.attacl::text, '-'))
            FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE r.relkind IN ('r', 'p')
          UNION ALL
            SELECT format('constraint %s %s: %s', r.name, c.conname, pg_get_constraintdef(c.oid))
            FROM rel r JOIN pg_constraint c ON c.conrelid = r.oid
          UNION ALL
            SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM rel r JOIN pg_index i ON i.indrelid = r.oid
          UNION ALL
            SELECT format('policy %s.%s %s %s %s to %s using %s check %s', schemaname, tablename, policyname, permissive, cmd,
                          roles::text, coalesce(qual, '-'), coalesce(with_check, '-'))
            FROM pg_policies WHERE schemaname IN ('chitieu', 'reporting')
          UNION ALL
            SELECT format('function %s volatility=%s definer=%s config=%s acl=%s body=%s', sig, provolatile, prosecdef,
                          coalesce(proconfig::text, '-'), coalesce(proacl::text, '-'), md5(prosrc))
            FROM fn
          UNION ALL
            SELECT format('comment %s: %s', sig, obj_description(oid, 'pg_proc')) FROM fn WHERE obj_description(oid, 'pg_proc') IS NOT NULL
          UNION ALL
            SELECT format('comment %s%s: %s', r.name, coalesce('.' || a.attname, ''), d.description)
            FROM rel r JOIN pg_description d ON d.objoid = r.oid AND d.classoid = 'pg_class'::regclass
            LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.objsubid AND d.objsubid > 0
          UNION ALL
            SELECT format('schema %s acl=%s comment=%s', nspname, coalesce(nspacl::text, '-'), obj_description(oid, 'pg_namespace'))
            FROM pg_namespace WHERE nspname IN ('chitieu', 'reporting', 'chitieu_migrations')
          UNION ALL
            SELECT format('collation %s.%s provider=%s', collnamespace::regnamespace, collname, collprovider)
            FROM pg_collation WHERE collnamespace::regnamespace::text = 'chitieu'
          UNION ALL
            SELECT 'database acl=' || replace(datacl::text, current_database(), '<database>') FROM pg_database WHERE datname = current_database()
          UNION ALL
            SELECT format('schedule %s kind=%s args=%s every=%s enabled=%s', name, kind, args, every, enabled) FROM chitieu.job_schedule
        ) lines ORDER BY line COLLATE "C"
        """
    }

    /// The functions and views `SQL/repeatable` creates, qualified.
    static func repeatableObjects(_ set: MigrationSet) throws -> [String] {
        let pattern = try NSRegularExpression(pattern: #"CREATE OR REPLACE (?:FUNCTION|VIEW) ([a-z_]+\.[a-z_]+)"#)
        return set.repeatables.flatMap { script in
            pattern.matches(in: script.sql, range: NSRange(script.sql.startIndex..., in: script.sql)).compactMap {
                Range($0.range(at: 1), in: script.sql).map { String(script.sql[$0]) }
            }
        }
    }

    @Test func aMigratedDatabaseHasExactlyTheCataloguedSchema() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let set = try MigrationSet.load(from: try TestDatabase.sqlDirectory())
        _ = try await pool.withConnection { try await Migrator(set: set, logger: TestDatabase.logger).migrate(on: $0) }
        let query = Self.catalogue(excluding: try Self.repeatableObjects(set))
        let actual = try await pool.query(query).map { try $0.decode(String.self, "line") }
        await pool.shutdown()

        let file = try TestDatabase.repositoryRoot().appendingPathComponent("Tests/Schema/catalogue.txt")
        if ProcessInfo.processInfo.environment["CHITIEU_WRITE_SCHEMA_CATALOGUE"] == "1" {
            try (actual.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let (have, want) = (Set(actual), Set(expected))
        let missing = expected.filter { !have.contains($0) }, extra = actual.filter { !want.contains($0) }
        #expect(
            missing.isEmpty && extra.isEmpty && actual.count == expected.count,
            "catalogued but not in the database:\n\(missing.joined(separator: "\n"))\nin the database but not catalogued:\n\(extra.joined(separator: "\n"))")
    }
}

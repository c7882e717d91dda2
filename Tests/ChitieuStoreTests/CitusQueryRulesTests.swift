import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The query shapes a real Citus cluster refused (DESIGN.md, "Ready for Citus"), looked for in
/// the SQL chitieu sends: the string literals of the Swift sources that talk to the database, and
/// the functions and views of a migrated database. Plain PostgreSQL runs all of them; each rule
/// is also shown to catch the statement that broke on Citus.
extension CitusReadinessTests {
    /// A piece of SQL and where it comes from (a file, a function, a view).
    struct SQLText {
        var origin: String
        var text: String
    }

    /// The Swift sources that send SQL (the benchmarks aside).
    static let sourceFolders = ["Sources/ChitieuStore", "Sources/ChitieuServer", "Sources/ChitieuJobs", "Sources/chitieu", "Sources/ChitieuCommandSupport"]

    /// Each Swift file's string literals that hold SQL, one text per literal; a multi-line
    /// literal (`"""`) keeps its lines.
    static func swiftSQL() throws -> [SQLText] {
        let root = try TestDatabase.repositoryRoot()
        var texts: [SQLText] = []
        for folder in sourceFolders {
            let base = root.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let file as URL in files where file.pathExtension == "swift" {
                let source = try String(contentsOf: file, encoding: .utf8)
                let name = String(file.path.dropFirst(root.path.count + 1))
                for literal in stringLiterals(source) where literal.range(of: #"\b(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE)\b"#, options: .regularExpression) != nil {
                    texts.append(SQLText(origin: name, text: literal))
                }
            }
        }
        return texts
    }

    /// The string literals of Swift source: `"""` blocks and one-line `"…"` strings.
    static func stringLiterals(_ source: String) -> [String] {
        var literals: [String] = []
        var rest = source[...]
        while let open = rest.firstRange(of: "\"") {
            if rest[open.lowerBound...].hasPrefix("\"\"\"") {
                let body = rest[rest.index(open.lowerBound, offsetBy: 3)...]
                guard let close = body.firstRange(of: "\"\"\"") else { break }
                literals.append(String(body[..<close.lowerBound]))
                rest = body[close.upperBound...]
            } else {
                let body = rest[open.upperBound...]
                var end = body.startIndex
                var escaped = false
                while end < body.endIndex, escaped || body[end] != "\"", body[end] != "\n" {
                    escaped = !escaped && body[end] == "\\"
                    end = body.index(after: end)
                }
                literals.append(String(body[..<end]))
                rest = end < body.endIndex ? body[body.index(after: end)...] : body[end...]
            }
        }
        return literals
    }

    /// The bodies of the functions (not in C) of schemas chitieu and reporting, and the views'
    /// definitions, of a migrated database.
    static func catalogueSQL(_ pool: PostgresPool) async throws -> [SQLText] {
        try await pool.query(
            """
            SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace IN ('chitieu'::regnamespace, 'reporting'::regnamespace) AND l.lanname IN ('sql', 'plpgsql')
            UNION ALL
            SELECT c.oid::regclass::text, pg_get_viewdef(c.oid) FROM pg_class c
            WHERE c.relkind = 'v' AND c.relnamespace IN ('chitieu'::regnamespace, 'reporting'::regnamespace)
            """
        ).map { SQLText(origin: try $0.decode(String.self, at: 0), text: try $0.decode(String.self, at: 1)) }
    }

    // MARK: - The rules

    /// Outer joins whose condition is a constant (`LEFT JOIN LATERAL (…) x ON true`): Citus on
    /// PostgreSQL 15 and 16 refuses them ("outer joins and pseudoconstant quals").
    static func outerJoinsOnConstants(_ text: String) -> [String] {
        var found: [String] = []
        for on in text.ranges(of: #/\bON\s+(true|1\s*=\s*1)\b/#.ignoresCase()) {
            // Back from ON to its JOIN, at the same depth of parentheses.
            var depth = 0
            var at = on.lowerBound
            while at > text.startIndex {
                at = text.index(before: at)
                let c = text[at]
                if c == ")" { depth += 1 } else if c == "(" {
                    depth -= 1
                    if depth < 0 { break }
                } else if depth == 0, text[at...].range(of: #"^JOIN\b"#, options: [.regularExpression, .caseInsensitive]) != nil {
                    let before = text[..<at].suffix(24)
                    if before.range(of: #"\b(LEFT|RIGHT|FULL)\s+(OUTER\s+)?$"#, options: [.regularExpression, .caseInsensitive]) != nil {
                        found.append(String(text[at..<on.upperBound].prefix(60)).replacingOccurrences(of: "\n", with: " "))
                    }
                    break
                }
            }
        }
        return found
    }

    /// Volatile functions in `ON CONFLICT … DO UPDATE` of an INSERT into a table Citus
    /// distributes ("functions used in the DO UPDATE SET clause … must be marked IMMUTABLE"):
    /// the value comes from `excluded.<column>` instead.
    static func volatileInDoUpdate(_ text: String, coordinatorTables: Set<String>) -> [String] {
        var found: [String] = []
        for update in text.ranges(of: #/\bDO\s+UPDATE\b/#.ignoresCase()) {
            let tail = text[update.upperBound...]
            let end = [tail.firstRange(of: #/\bRETURNING\b/#.ignoresCase())?.lowerBound, tail.firstRange(of: "\"\"\"")?.lowerBound, tail.firstIndex(of: ";")]
                .compactMap { $0 }.min() ?? tail.endIndex
            let clause = tail[..<end]
            let table = text[..<update.lowerBound].matches(of: #/INSERT\s+INTO\s+(?:chitieu\.)?([a-z_.]+)/#.ignoresCase()).last.map { String($0.output.1) }
            if let table, coordinatorTables.contains(table) || table.hasPrefix("chitieu_migrations.") { continue }
            if let call = clause.firstMatch(
                of: #/\b(now|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|gen_random_uuid|nextval)\s*\(|\b(current_timestamp|localtimestamp)\b/#
                    .ignoresCase())
            {
                found.append("\(table ?? "?"): \(call.output.0)")
            }
        }
        return found
    }

    /// Recursive CTEs with a term that reads a tenant table without `province_id =` in it: Citus
    /// plans a recursive query only on one shard ("recursive CTEs are only supported when they
    /// contain a filter on the distribution column"), so every term that reads a tenant table
    /// names the province.
    static func recursionWithoutProvince(_ text: String, tenantTables: Set<String>) -> [String] {
        var found: [String] = []
        for with in text.ranges(of: #/\bWITH\s+RECURSIVE\b/#.ignoresCase()) {
            var rest = text[with.upperBound...]
            // Each `name AS [NOT] [MATERIALIZED] (body)` of the WITH, until the statement goes on.
            while let head = rest.prefixMatch(of: #/\s*,?\s*([a-z_]+)(?:\s*\([^)]*\))?\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(/#.ignoresCase()) {
                let name = String(head.output.1)
                guard let body = balanced(rest[head.range.upperBound...]) else { break }
                rest = rest[body.endIndex...].dropFirst()
                let bodyText = String(body)
                guard bodyText.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil else { continue }
                for term in topLevelParts(bodyText, separator: #"\bUNION(\s+ALL)?\b"#) {
                    let reads = term.matches(of: #/\bchitieu\.([a-z_]+)\b/#).map { String($0.output.1) }.filter(tenantTables.contains)
                    if !reads.isEmpty, term.range(of: #"province_id\s*="#, options: .regularExpression) == nil {
                        found.append("\(name): a term reads chitieu.\(reads[0]) without province_id =")
                    }
                }
            }
        }
        return found
    }

    /// Functions that read tenant tables (or the coordinator's own tables) called inside a
    /// statement that reads tenant tables: routed to one worker, the function runs there and reads
    /// an empty placeholder ("cannot execute a distributed query from a query on a shard").
    static func tableFunctionsInTenantQueries(_ text: String, functions: Set<String>, tenantTables: Set<String>) -> [String] {
        var found: [String] = []
        for statement in text.split(separator: ";") {
            let reads = statement.matches(of: #/\b(?:FROM|JOIN)\s+chitieu\.([a-z_]+)\b/#.ignoresCase()).map { String($0.output.1) }.filter(tenantTables.contains)
            guard let table = reads.first else { continue }
            for call in statement.matches(of: #/\bchitieu\.([a-z_]+)\s*\(/#) where functions.contains(String(call.output.1)) {
                found.append("chitieu.\(call.output.1)() in a statement on chitieu.\(table)")
            }
        }
        return found
    }

    /// Tenant tables written from a temporary table: Citus refuses the join of a distributed table
    /// with a local one, and an INSERT … SELECT under row-level security that it would run by
    /// COPY. Allowed: a statement that reads no tenant table and has an ON CONFLICT clause (Citus
    /// then writes through the coordinator with INSERT statements, which row-level security allows).
    static func writesFromTemporaryTables(_ texts: [SQLText], tenantTables: Set<String>) -> [String] {
        var found: [String] = []
        for (origin, group) in Dictionary(grouping: texts, by: \.origin) {
            // Temporary tables the file creates; an interpolated part of the name matches any word.
            let temporary = group.flatMap { $0.text.matches(of: #/CREATE\s+TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_]+(?:\\\([a-zA-Z.]+\))?)/#.ignoresCase()) }
                .map { match -> String in
                    let name = String(match.output.1)
                    guard let hole = name.range(of: "\\(") else { return NSRegularExpression.escapedPattern(for: name) }
                    return NSRegularExpression.escapedPattern(for: String(name[..<hole.lowerBound])) + #"(?:[a-z_]+|\\\([a-zA-Z.]+\))"#
                }
            guard !temporary.isEmpty else { continue }
            let names = "(?:" + temporary.joined(separator: "|") + ")"
            for text in group.map(\.text) {
                guard let write = text.firstMatch(of: #/\b(?:INSERT\s+INTO|UPDATE)\s+chitieu\.(\\\([a-z]+\)|[a-z_]+)/#.ignoresCase()) else { continue }
                let table = String(write.output.1)
                guard table.hasPrefix("\\(") || tenantTables.contains(table) else { continue }
                let insertsRowByRow = text.range(of: #"\bON\s+CONFLICT\b"#, options: [.regularExpression, .caseInsensitive]) != nil
                    && text.range(of: #"\b(FROM|JOIN)\s+chitieu\."#, options: [.regularExpression, .caseInsensitive]) == nil
                if !insertsRowByRow, text.range(of: #"\b(FROM|JOIN)\s+\#(names)(\s|$)"#, options: [.regularExpression, .caseInsensitive]) != nil {
                    found.append("\(origin): chitieu.\(table) written from a temporary table")
                }
            }
        }
        return found.sorted()
    }

    /// The text inside the parentheses that `text` starts within (after its opening one).
    static func balanced(_ text: Substring) -> Substring? {
        var depth = 1
        var at = text.startIndex
        while at < text.endIndex {
            if text[at] == "(" { depth += 1 } else if text[at] == ")" {
                depth -= 1
                if depth == 0 { return text[..<at] }
            }
            at = text.index(after: at)
        }
        return nil
    }

    /// `text` split at `separator` where it is outside any parentheses.
    static func topLevelParts(_ text: String, separator: String) -> [String] {
        var parts: [String] = []
        var depth = 0
        var start = text.startIndex
        var at = text.startIndex
        while at < text.endIndex {
            let c = text[at]
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 } else if depth == 0,
                let match = text[at...].range(of: "^" + separator, options: [.regularExpression, .caseInsensitive]),
                at == text.startIndex || !(text[text.index(before: at)].isLetter || text[text.index(before: at)] == "_")
            {
                parts.append(String(text[start..<at]))
                start = match.upperBound
                at = match.upperBound
                continue
            }
            at = text.index(after: at)
        }
        parts.append(String(text[start...]))
        return parts
    }

    /// Every way the SQL of the sources and of the database breaks the query rules.
    static func queryViolations(_ texts: [SQLText], functions: Set<String>, tenantTables: Set<String>) -> [String] {
        let coordinatorTables = Set(SchemaScope.sharedTables + ["job_schedule", "login_throttle"])
        var violations: [String] = []
        for sql in texts {
            violations += outerJoinsOnConstants(sql.text).map { "\(sql.origin): outer join on a constant: \($0)" }
            violations += volatileInDoUpdate(sql.text, coordinatorTables: coordinatorTables).map { "\(sql.origin): volatile function in DO UPDATE, \($0)" }
            violations += recursionWithoutProvince(sql.text, tenantTables: tenantTables).map { "\(sql.origin): recursive CTE \($0)" }
            violations += tableFunctionsInTenantQueries(sql.text, functions: functions, tenantTables: tenantTables).map { "\(sql.origin): \($0)" }
        }
        return violations + writesFromTemporaryTables(texts, tenantTables: tenantTables)
    }

    /// The functions of schema chitieu whose body reads a table that is not a reference table
    /// under Citus (tenant tables, and the coordinator's own).
    static func tableFunctions(_ catalogue: [SQLText]) -> Set<String> {
        Set(catalogue.compactMap { sql -> String? in
            guard let name = sql.origin.firstMatch(of: #/^chitieu\.([a-z_]+)\(/#)?.output.1 else { return nil }
            let reads = sql.text.matches(of: #/\b(?:FROM|JOIN|INTO|UPDATE)\s+chitieu\.([a-z_]+)\b/#.ignoresCase()).map { String($0.output.1) }
            return reads.contains { $0 != SchemaScope.catalogue && $0 != "login_name" } ? String(name) : nil
        })
    }

    @Test func theSQLOfTheSourcesAndTheDatabaseKeepsToTheQueryRules() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        let tenants = Set(try await tenantTables(pool))
        let catalogue = try await Self.catalogueSQL(pool)
        await pool.shutdown()
        let functions = Self.tableFunctions(catalogue)
        #expect(functions.isSuperset(of: ["compute_progress", "unit_scope", "unit_path", "check_token"]))
        let violations = Self.queryViolations(try Self.swiftSQL() + catalogue, functions: functions, tenantTables: tenants)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// The statements that broke on a real Citus cluster, each caught by its rule.
    @Test func eachQueryRuleCatchesTheStatementThatBrokeOnCitus() {
        let tenants: Set<String> = ["admin_unit", "unit_succession", "role_grant", "api_token", "account", "target", "progress", "phase", "credential"]
        // chitieu.check_token's grants.
        #expect(Self.outerJoinsOnConstants(
            """
            FROM chitieu.api_token t JOIN chitieu.account a ON a.province_id = t.province_id AND a.account_id = t.account_id
            LEFT JOIN LATERAL (
                SELECT array_agg(r.role ORDER BY r.grant_id) AS roles FROM chitieu.role_grant r
                WHERE r.province_id = t.province_id AND (r.valid_to IS NULL OR r.valid_to >= current_date)
            ) g ON true
            """).count == 1)
        #expect(Self.outerJoinsOnConstants("FROM up JOIN LATERAL (SELECT p.unit_id FROM chitieu.admin_unit p WHERE p.province_id = 1) n ON true").isEmpty)
        // A target set, a password stored.
        #expect(Self.volatileInDoUpdate(
            """
            INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO UPDATE
            SET value = excluded.value, set_at = now()
            RETURNING target_id, set_at
            """, coordinatorTables: []) == ["target: now("])
        #expect(Self.volatileInDoUpdate(
            "INSERT INTO chitieu.credential (province_id) VALUES ($1) ON CONFLICT (province_id, account_id) DO UPDATE SET updated_at = excluded.updated_at",
            coordinatorTables: []).isEmpty)
        #expect(Self.volatileInDoUpdate(
            "INSERT INTO chitieu.login_throttle (key) VALUES ($1) ON CONFLICT (key) DO UPDATE SET failures = 1, last_at = now()",
            coordinatorTables: ["login_throttle"]).isEmpty)
        // reporting.unit's tree.
        let tree = """
            WITH RECURSIVE tree AS (
                SELECT u.province_id, u.unit_id, 0 AS depth FROM chitieu.admin_unit u WHERE u.parent_id IS NULL
              UNION ALL
                SELECT c.province_id, c.unit_id, t.depth + 1
                FROM chitieu.admin_unit c JOIN tree t ON c.province_id = t.province_id AND c.parent_id = t.unit_id
            )
            SELECT * FROM tree
            """
        #expect(Self.recursionWithoutProvince(tree, tenantTables: tenants) == ["tree: a term reads chitieu.admin_unit without province_id ="])
        #expect(Self.recursionWithoutProvince(
            """
            WITH RECURSIVE scope AS (
                SELECT u.unit_id, 0 AS depth FROM chitieu.admin_unit u WHERE u.province_id = $1 AND u.unit_id = ANY($2)
              UNION
                SELECT u.unit_id, s.depth + 1 FROM chitieu.admin_unit u JOIN scope s ON u.province_id = $1 AND u.parent_id = s.unit_id
            ), closure AS (SELECT 1)
            SELECT * FROM scope
            """, tenantTables: tenants).isEmpty)
        // Targets listed through chitieu.unit_scope, progress computed beside a read of phase.
        #expect(Self.tableFunctionsInTenantQueries(
            """
            WITH scope AS MATERIALIZED (SELECT unit_id, depth FROM chitieu.unit_scope($1, $2::bigint[], $3::int))
            SELECT t.target_id FROM chitieu.target t WHERE t.province_id = $1 AND t.unit_id IN (SELECT unit_id FROM scope)
            """, functions: ["unit_scope"], tenantTables: tenants) == ["chitieu.unit_scope() in a statement on chitieu.target"])
        #expect(Self.tableFunctionsInTenantQueries(
            "SELECT chitieu.compute_progress($1, $2, $3, current_date) FROM chitieu.phase ph WHERE ph.province_id = $1 AND ph.phase_id = $2",
            functions: ["compute_progress"], tenantTables: tenants) == ["chitieu.compute_progress() in a statement on chitieu.phase"])
        #expect(Self.tableFunctionsInTenantQueries("SELECT chitieu.compute_progress($1, $2, $3, current_date)", functions: ["compute_progress"], tenantTables: tenants).isEmpty)
        // A merge's copies.
        let merge = [
            SQLText(origin: "ReformStore.swift", text: #"DROP TABLE IF EXISTS merge_\(table); CREATE TEMPORARY TABLE merge_\(table) ON COMMIT DROP AS SELECT * FROM chitieu.\(table) WHERE false"#),
            SQLText(origin: "ReformStore.swift", text: "INSERT INTO chitieu.phase (province_id, code) SELECT $1, m.code FROM merge_phase m"),
            SQLText(origin: "ReformStore.swift", text: #"INSERT INTO chitieu.\(table) (\(columns)) SELECT \(values) FROM merge_\(table) m"#),
            SQLText(origin: "ReformStore.swift", text: "INSERT INTO chitieu.phase (province_id, code) VALUES ($1, $2)"),
            // Through the coordinator row by row: allowed; with a tenant table joined: not.
            SQLText(origin: "ReformStore.swift", text: "INSERT INTO chitieu.target (province_id, code) SELECT $1, m.code FROM merge_target m ON CONFLICT (province_id, target_id) DO NOTHING"),
            SQLText(origin: "ReformStore.swift", text: """
                INSERT INTO chitieu.target (province_id, phase_id) SELECT $1, p.phase_id FROM merge_target m
                JOIN chitieu.phase p ON p.province_id = $1 AND p.code = m.code ON CONFLICT (province_id, target_id) DO NOTHING
                """),
        ]
        #expect(Self.writesFromTemporaryTables(merge, tenantTables: tenants) == [
            #"ReformStore.swift: chitieu.\(table) written from a temporary table"#, "ReformStore.swift: chitieu.phase written from a temporary table",
            "ReformStore.swift: chitieu.target written from a temporary table",
        ])
    }

    @Test func distributeSQLTurnsOffLocalReferenceForeignKeysAndRunsInOneTransaction() throws {
        let sql = try Self.distributeSQL()
        let code = sql.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
        #expect(code.contains("SET LOCAL citus.enable_local_reference_table_foreign_keys = off;"))
        #expect(code.hasPrefix("BEGIN;") || code.contains("\nBEGIN;"))
        #expect(code.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("COMMIT;"))
        let begin = try #require(code.range(of: "BEGIN;"))
        let firstCall = try #require(code.range(of: "create_reference_table"))
        #expect(begin.lowerBound < firstCall.lowerBound)
    }
}

import ChitieuDomain
public import Foundation
import Postgres

/// One province's data as a file, to move it to another deployment or keep it apart: JSON
/// lines, versioned. The first line is the header, then one line per row, table by table in
/// `TenantArchive.tables` order, each row as PostgreSQL's `to_jsonb` writes it (every column,
/// numbers and times exact), then a last line with the count of rows per table:
///
/// ```
/// {"format":"chitieu-tenant","version":1,"schema":8,"exported_at":"…","province":{"province_id":1,"code":"10",…}}
/// {"table":"province","row":{"code": "10", "name": "Tỉnh Lào Cai", …}}
/// {"table":"admin_unit","row":{…}}
/// {"end":true,"rows":{"admin_unit":161,…}}
/// ```
///
/// Export and import run as the owner. The file holds password and token hashes: it is
/// written readable by its owner only.
public struct TenantArchive: Sendable {
    /// The `format` of the header.
    public static let format = "chitieu-tenant"
    /// The version of the format this program writes and reads.
    public static let version = 1
    /// The tables of a province, each after the tables its foreign keys refer to.
    public static let tables = [
        "province", "admin_unit", "phase", "indicator", "account", "unit_succession", "unit_attribute", "target", "allocation_rule",
        "role_grant", "credential", "api_token", "result", "progress", "progress_run", "progress_on_units", "province_lineage", "reporting_deadline", "deadline_exception",
        "audit_event", "import_upload",
    ]

    /// What an export or import moved.
    public struct Summary: Sendable {
        /// The province.
        public var province: Province
        /// Rows per table.
        public var rows: [String: Int]
        /// Rows in all.
        public var total: Int { rows.values.reduce(0, +) }
    }

    let database: ChitieuDatabase

    /// Uses a database connected as the owner.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// The highest migration applied: a file is read only by a database at the same version.
    static func schemaVersion(_ c: PostgresConnection) async throws -> Int {
        try await c.query("SELECT coalesce(max(version), 0) AS v FROM chitieu_migrations.applied")[0].decode(Int.self, "v")
    }

    /// The primary key's columns of a table, quoted, for ORDER BY.
    static func keyColumns(_ table: String, _ c: PostgresConnection) async throws -> String {
        try await c.query(
            """
            SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS cols
            FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = format('chitieu.%I', \(table)::text)::regclass AND i.indisprimary
            """)[0].decode(String.self, "cols")
    }

    /// The columns an INSERT writes (all but generated ones), quoted.
    static func writableColumns(_ table: String, _ c: PostgresConnection) async throws -> String {
        try await c.query(
            """
            SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute
            WHERE attrelid = format('chitieu.%I', \(table)::text)::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            """)[0].decode(String.self, "cols")
    }

    /// Writes the province's rows to `url`, from one snapshot of the database.
    public func export(province: Province, to url: URL) async throws -> Summary {
        let (data, counts) = try await database.pool.withTransaction(isolation: .repeatableRead, readOnly: true) { c in
            try await c.query("SELECT chitieu.use_province(\(province.id))")
            let header: [String: Any] = [
                "format": Self.format, "version": Self.version, "schema": try await Self.schemaVersion(c),
                "exported_at": try await c.query("SELECT to_jsonb(now()) #>> '{}' AS at")[0].decode(String.self, "at"),
                "province": [
                    "province_id": province.id, "code": province.code, "name": province.name, "valid_from": province.validFrom.description,
                    "valid_to": province.validTo?.description ?? NSNull(),
                ] as [String: Any],
            ]
            var data = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
            data.append(Data("\n".utf8))
            var counts: [String: Int] = [:]
            for table in Self.tables {
                var order = try await Self.keyColumns(table, c)
                // Parents before children: an import writes units in batches.
                if table == "admin_unit" { order = "chitieu.level_rank(level), " + order }
                var bindings = PostgresBindings()
                bindings.append(province.id)
                let result = try await c.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT to_jsonb(t)::text AS row FROM chitieu.\(PostgresQuery.quoteIdentifier(table)) t WHERE t.province_id = $1 ORDER BY \(order)",
                        bindings: bindings))
                for row in result {
                    data.append(Data("{\"table\":\"\(table)\",\"row\":".utf8))
                    data.append(Data(try row.decode(String.self, "row").utf8))
                    data.append(Data("}\n".utf8))
                }
                counts[table] = result.count
            }
            data.append(try JSONSerialization.data(withJSONObject: ["end": true, "rows": counts] as [String: Any], options: [.sortedKeys]))
            data.append(Data("\n".utf8))
            return (data, counts)
        }
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ChitieuError(.invalid, field: "out", reason: "cannot write \(url.path)")
        }
        return Summary(province: province, rows: counts)
    }

    /// A file read and checked, ready to import.
    struct Contents {
        var province: Province
        var schema: Int
        var exportedAt: String
        /// Each table's rows: the line's number and its `row` object, as the file has it.
        var rows: [String: [(line: Int, row: Substring)]]
        var counts: [String: Int]
    }

    /// Reads and checks a file: its header and version, every line a row of a known table, and
    /// the last line's counts (a file cut short is refused). The rows themselves are parsed by
    /// PostgreSQL as they are written (`insertRows` names a line that is not a JSON object of
    /// the header's province); here each line's table is read from its start, as `export`
    /// writes it: `{"table":"<name>","row":`.
    static func read(_ data: Data) throws -> Contents {
        guard let text = String(data: data, encoding: .utf8) else { throw ChitieuError(.invalid, field: "file", reason: "is not UTF-8 text") }
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else { throw ChitieuError(.invalid, field: "file", reason: "is empty") }
        let header = try object(first, 1)
        guard header["format"] as? String == format else {
            throw ChitieuError(.invalid, field: "line 1", reason: "is not the header of a chitieu tenant file (format \"\(format)\")")
        }
        guard let version = header["version"] as? Int, version == Self.version else {
            throw ChitieuError(.invalid, field: "line 1", reason: "version \(header["version"] ?? "none") is not one this chitieu reads (\(Self.version))")
        }
        guard let schema = header["schema"] as? Int, let exportedAt = header["exported_at"] as? String,
            let p = header["province"] as? [String: Any], let id = (p["province_id"] as? NSNumber)?.int64Value,
            let code = p["code"] as? String, let name = p["name"] as? String,
            let from = (p["valid_from"] as? String).flatMap(PostgresDate.init)
        else {
            throw ChitieuError(.invalid, field: "line 1", reason: "the header lacks schema, exported_at or the province's id, code, name and valid_from")
        }
        let province = Province(id: id, code: code, name: name, validFrom: from, validTo: (p["valid_to"] as? String).flatMap(PostgresDate.init))
        var rows: [String: [(line: Int, row: Substring)]] = [:]
        var counts: [String: Int]?
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if let (table, row) = rowLine(line) {
                rows[table, default: []].append((number, row))
                continue
            }
            let value = try object(line, number)
            if value["end"] as? Bool == true {
                guard number == lines.count else { throw ChitieuError(.invalid, field: "line \(number)", reason: "the last line comes before the end of the file") }
                counts = value["rows"] as? [String: Int]
                continue
            }
            guard let table = value["table"] as? String, tables.contains(table) else {
                throw ChitieuError(.invalid, field: "line \(number)", reason: "names no table of a province (\(tables.joined(separator: ", ")))")
            }
            throw ChitieuError(.invalid, field: "line \(number)", reason: "is not a row as `tenant export` writes it: {\"table\":\"\(table)\",\"row\":{…}}")
        }
        guard let counts else {
            throw ChitieuError(.invalid, field: "file", reason: "has no last line with the counts of rows: it was cut short; export it again")
        }
        for table in tables where (rows[table]?.count ?? 0) != (counts[table] ?? 0) {
            throw ChitieuError(.invalid,
                field: "file", reason: "holds \(rows[table]?.count ?? 0) rows of \(table) where its last line says \(counts[table] ?? 0): export it again")
        }
        guard rows["province"]?.count == 1 else { throw ChitieuError(.invalid, field: "file", reason: "holds no row of the province itself") }
        return Contents(province: province, schema: schema, exportedAt: exportedAt, rows: rows, counts: counts)
    }

    /// A line parsed whole: a JSON object, or an error naming the line.
    static func object(_ line: Substring, _ number: Int) throws -> [String: Any] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ChitieuError(.invalid, field: "line \(number)", reason: "is not a JSON object")
        }
        return value
    }

    /// The table and the `row` text of a line as `export` writes it, `{"table":"<name>","row":…}`
    /// with `<name>` one of `tables`; nil for any other line.
    static func rowLine(_ line: Substring) -> (table: String, row: Substring)? {
        let head = "{\"table\":\"", between = "\",\"row\":"
        guard line.hasPrefix(head), line.hasSuffix("}") else { return nil }
        let rest = line.dropFirst(head.count)
        guard let quote = rest.firstIndex(of: "\""), rest[quote...].hasPrefix(between) else { return nil }
        let table = String(rest[..<quote])
        guard tables.contains(table) else { return nil }
        return (table, rest[quote...].dropFirst(between.count).dropLast())
    }

    /// Imports a file into this database, in one transaction: the province with the ids it had,
    /// its usernames, its reporting group, and an audit event. Refused, changing nothing, when
    /// the file is damaged or of another schema version, or when the province, its id or one of
    /// its usernames exists here already.
    public func importFile(_ url: URL, actor: Actor) async throws -> Summary {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ChitieuError(.invalid, field: "file", reason: "cannot read \(url.path)")
        }
        let contents = try Self.read(data)
        let province = contents.province
        try await checkFits(contents)
        try await database.withTenant(province.id) { tx in
            try await Self.insertRows(contents, tx: tx)
            try await Self.claimUsernames(of: province, tx: tx)
            try await Self.advanceIdentities(of: province, tx: tx)
            try await tx.query("SELECT chitieu.ensure_reporting_group(\(province.id))")
            try await AuditLog.record(
                tx, actor: actor, action: "tenant.import", entityType: "province", entityID: String(province.id),
                after: AuditLog.json(["exported_at": contents.exportedAt, "schema": contents.schema, "rows": contents.counts]))
        }
        return Summary(province: province, rows: contents.counts)
    }

    /// Refuses a file of another schema version, or whose province (or its id) is here already.
    func checkFits(_ contents: Contents) async throws {
        let province = contents.province
        let schema = try await database.pool.withConnection { try await Self.schemaVersion($0) }
        guard schema == contents.schema else {
            throw ChitieuError(.invalid,
                field: "file",
                reason: "was exported at schema version \(contents.schema) and this database is at \(schema): migrate both to the same version first")
        }
        let clash = try await database.pool.query(
            """
            SELECT province_id, code, name FROM chitieu.province
            WHERE province_id = \(province.id) OR (code = \(province.code) AND valid_from = \(province.validFrom))
            """)
        if let row = clash.first {
            throw ChitieuError(.invalid,
                field: "file",
                reason: "province \(try row.decode(String.self, "code")) \(try row.decode(String.self, "name")) (id \(try row.decode(Int64.self, "province_id"))) exists in this database already; the file's province \(province.code) has id \(province.id)")
        }
    }

    /// The file's rows, table by table in the order of their foreign keys: each table's lines
    /// copied (COPY) into a temporary table, where PostgreSQL parses them, then written by one
    /// INSERT … SELECT. Its ON CONFLICT DO NOTHING, with every row counted, also lets Citus write
    /// the rows through INSERT statements, not COPY, which row-level security refuses. A line
    /// that is not a JSON object of the header's province, or a row twice, is refused by number.
    static func insertRows(_ contents: Contents, tx: TenantTransaction) async throws {
        let province = contents.province.id
        for table in Self.tables {
            guard let rows = contents.rows[table], !rows.isEmpty else { continue }
            let columns = try await Self.writableColumns(table, tx.connection)
            let name = "chitieu.\(PostgresQuery.quoteIdentifier(table))"
            let staging = PostgresQuery.quoteIdentifier("tenant_import_" + table)
            try await tx.connection.executeScript("CREATE TEMPORARY TABLE \(staging) (line integer NOT NULL, row jsonb NOT NULL) ON COMMIT DROP")
            do {
                try await tx.connection.copyFrom("COPY \(staging) (line, row) FROM STDIN") { writer in
                    for (line, row) in rows { try writer.appendRow([String(line), String(row)]) }
                }
            } catch {
                // PostgreSQL's message names the COPY's line; the file's line is found again here.
                for (line, row) in rows { _ = try object(row, line) }
                throw error
            }
            var bindings = PostgresBindings()
            bindings.append(province)
            // Checked before writing: a stray row left out would fail its children's keys instead.
            let stray = try await tx.query(PostgresQuery(unsafeSQL: """
                SELECT min(line) AS line FROM \(staging) WHERE jsonb_typeof(row) <> 'object' OR row -> 'province_id' IS DISTINCT FROM to_jsonb($1::bigint)
                """, bindings: bindings))[0].decode(Int?.self, "line")
            if let stray { throw ChitieuError(.invalid, field: "line \(stray)", reason: "is not a row of province \(province), the province of the header") }
            let written = try await tx.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(name) (\(columns)) OVERRIDING SYSTEM VALUE
                SELECT \(columns) FROM \(staging) s CROSS JOIN LATERAL jsonb_populate_record(NULL::\(name), s.row)
                ON CONFLICT DO NOTHING
                """)).affectedRows
            guard written == rows.count else {
                throw ChitieuError(.invalid, field: "file", reason: "the file holds a row of \(table) twice (\(rows.count - written) of them)")
            }
        }
    }

    /// The province's usernames, refused when another province of the deployment has one of them.
    static func claimUsernames(of province: Province, tx: TenantTransaction) async throws {
        let taken = try await tx.query(
            """
            SELECT string_agg(a.username, ', ' ORDER BY a.username) AS names FROM chitieu.account a
            JOIN chitieu.login_name l ON l.username = a.username WHERE a.province_id = \(province.id)
            """)[0].decode(String?.self, "names")
        if let taken {
            throw ChitieuError(.invalid, field: "file", reason: "the usernames \(taken) belong to another province of this deployment; usernames are unique in a deployment")
        }
        try await tx.query(
            """
            INSERT INTO chitieu.login_name (username, province_id, account_id)
            SELECT username, province_id, account_id FROM chitieu.account WHERE province_id = \(province.id)
            """)
    }

    /// Identities go on after the ids brought in, so this province's next rows get new ones
    /// (on Citus each node draws from a range of its own, above ids brought in from one server).
    static func advanceIdentities(of province: Province, tx: TenantTransaction) async throws {
        for row in try await tx.query(
            """
            SELECT c.relname AS tbl, quote_ident(a.attname) AS col, pg_get_serial_sequence(format('chitieu.%I', c.relname), a.attname) AS seq
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'chitieu'::regnamespace AND a.attidentity <> '' AND c.relname = ANY (\(Self.tables)::text[])
            """)
        {
            let table = try row.decode(String.self, "tbl")
            let column = try row.decode(String.self, "col")
            var bindings = PostgresBindings()
            bindings.append(try row.decode(String.self, "seq"))
            bindings.append(province.id)
            try await tx.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval($1::regclass, greatest(m, coalesce(pg_sequence_last_value($1::regclass), 0)))
                        FROM (SELECT max(\(column)) AS m FROM chitieu.\(PostgresQuery.quoteIdentifier(table)) WHERE province_id = $2) x
                        WHERE m IS NOT NULL AND m >= (SELECT s.seqmin FROM pg_sequence s WHERE s.seqrelid = $1::regclass)
                        """, bindings: bindings))
        }
    }
}

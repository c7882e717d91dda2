public import ChitieuDomain
public import Foundation
public import Postgres

/// What a merge carried into the merged province, per predecessor.
public struct MergeReport: Sendable {
    /// One predecessor.
    public struct Part: Sendable {
        public var predecessor: Province
        /// Rows copied (units, indicators, targets, results…) or moved (accounts), by table.
        public var carried: [String: Int]
    }
    public var province: Province
    public var parts: [Part]
}

/// What importing succession links did.
public struct SuccessionImportReport: Sendable {
    /// Links written, by province (code).
    public var linksByProvince: [String: Int] = [:]
    /// Lines whose old commune is in no province of the deployment (not imported).
    public var oldUnitsMissing = 0
    /// Lines whose new commune is in no province of the deployment.
    public var newUnitsMissing = 0
}

/// A proposed grant on a successor unit, for a grant on a unit that ended.
public struct GrantProposal: Sendable, Hashable {
    public var grantID: Int64
    public var username: String
    public var role: String
    public var oldUnitCode: String
    public var oldUnitName: String
    public var newUnitID: Int64
    public var newUnitCode: String
    public var newUnitName: String
    /// whole, split-default or split (the part that took most of the old unit is proposed).
    public var kind: String
}

/// Units that change: closing the old ones, merging provinces, succession links and their
/// weights, and grants that follow the structure.
public struct ReformStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database connected as the owner (a merge writes to several provinces).
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// Tables a merge copies from a predecessor, in foreign-key order, on the server: staged under
    /// the predecessor's scope, written by one INSERT … SELECT each under the merged province's.
    /// Accounts (with their credentials and grants) are moved, not copied: a username belongs
    /// to one province.
    static let copied = ["admin_unit", "unit_attribute", "unit_succession", "target", "allocation_rule", "result"]
    /// Tables a merge reads into the client (a few rows each): the catalogue it matches by code,
    /// and the accounts it moves.
    static let readIntoClient = ["phase", "indicator", "account", "credential", "role_grant"]

    /// Merges provinces into `province` on `day` (its first day): every predecessor ends the day
    /// before, with its units; its units, unit attributes, succession links, targets, allocation
    /// rules and results are copied into `province` with their ids (indicators and phases matched
    /// by code, created when missing), its accounts move there with their passwords (their
    /// sessions end), their grants on the ended units become read-only (viewer) grants, and its
    /// own unit and districts are linked to `province`'s own unit. The predecessor keeps its
    /// data, so its reporting logins read what they had. All or nothing; a province merges once.
    public func merge(into province: Province, from predecessors: [Province], on day: PostgresDate, actor: Actor) async throws -> MergeReport {
        guard province.validFrom == day else {
            throw ChitieuError(.invalid, field: "--on", reason: "\(province.code) \(province.name) begins on \(province.validFrom), not \(day)")
        }
        guard !predecessors.isEmpty else { throw ChitieuError(.invalid, field: "--from", reason: "name at least one province to merge") }
        guard Set(predecessors.map(\.id)).count == predecessors.count else { throw ChitieuError(.invalid, field: "--from", reason: "a province is named twice") }
        let lastDay = day.dayBefore
        return try await database.pool.withTransaction { c in
            var parts: [MergeReport.Part] = []
            for p in predecessors {
                guard p.id != province.id else { throw ChitieuError(.invalid, field: "--from", reason: "\(p.code) is the merged province itself") }
                guard p.validFrom < day else { throw ChitieuError(.invalid, field: "--from", reason: "\(p.code) \(p.name) begins on \(p.validFrom), not before \(day)") }
                try await use(p.id, c)
                let state = try await c.query("SELECT successor_id FROM chitieu.province WHERE province_id = \(p.id) FOR UPDATE")
                if let successor = try state.first?.decode(Int64?.self, at: 0) {
                    throw ChitieuError(.invalid, field: "--from", reason: "\(p.code) \(p.name) was merged into province \(successor) already")
                }
                parts.append(MergeReport.Part(predecessor: p, carried: try await carry(p, into: province, on: day, lastDay: lastDay, actor: actor, c)))
            }
            try await use(province.id, c)
            try await Self.recomputeEveryPhase(of: province.id, on: c)
            return MergeReport(province: province, parts: parts)
        }
    }

    /// Enqueues the recomputation of every phase of a province (coalesced with a pending one).
    static func recomputeEveryPhase(of province: Int64, on c: PostgresConnection) async throws {
        for phase in try await c.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(province)") {
            let id = try phase.decode(Int64.self, at: 0)
            _ = try await JobQueue.enqueue(on: c, ProgressJob(provinceID: province, phaseID: id), provinceID: province, priority: 1, maxAttempts: 5)
        }
    }

    func use(_ province: Int64, _ c: PostgresConnection) async throws {
        try await c.query("SELECT chitieu.use_province(\(province))")
    }

    /// A column a copy writes (every stored column but generated ones) and its type.
    struct Column {
        var name: String
        var type: String
    }

    /// The columns a copy writes, with their types as the catalogue spells them.
    static func columns(_ table: String, _ c: PostgresConnection) async throws -> [Column] {
        try await c.query(
            """
            SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = ('chitieu.' || \(table))::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            ORDER BY attnum
            """
        ).map { Column(name: try $0.decode(String.self, at: 0), type: try $0.decode(String.self, at: 1)) }
    }

    /// One province's rows of a table, each value as text (nil for NULL), under its scope.
    struct Snapshot {
        var columns: [Column]
        var rows: [[String?]]

        func values(_ column: String) -> [String?] {
            guard let at = columns.firstIndex(where: { $0.name == column }) else { return [] }
            return rows.map { $0[at] }
        }
    }

    static func snapshot(_ table: String, province: Int64, _ c: PostgresConnection) async throws -> Snapshot {
        let columns = try await Self.columns(table, c)
        let list = columns.map { PostgresQuery.quoteIdentifier($0.name) + "::text" }.joined(separator: ", ")
        var bindings = PostgresBindings()
        bindings.append(province)
        let rows = try await c.query(PostgresQuery(unsafeSQL: "SELECT \(list) FROM chitieu.\(table) WHERE province_id = $1", bindings: bindings))
        return Snapshot(columns: columns, rows: try rows.map { row in try columns.indices.map { try row.decode(String?.self, at: $0) } })
    }

    /// Writes rows (values as text, cast to each column's type) in multi-row INSERT … VALUES
    /// batches, for the few rows a merge reads into the client.
    static func insert(
        _ table: String, _ columns: [Column], _ rows: [[String?]], overridingIdentity: Bool = false, onConflict: String = "", _ c: PostgresConnection
    ) async throws -> Int {
        let names = columns.map { PostgresQuery.quoteIdentifier($0.name) }.joined(separator: ", ")
        let batchSize = max(1, 20_000 / max(1, columns.count))
        var written = 0
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            var bindings = PostgresBindings()
            var tuples: [String] = []
            for row in rows[start..<min(start + batchSize, rows.count)] {
                tuples.append("(" + zip(row, columns).map { value, column in
                    bindings.append(value)
                    return "$\(bindings.count)::\(column.type)"
                }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO chitieu.\(table) (\(names))\(overridingIdentity ? " OVERRIDING SYSTEM VALUE" : "") VALUES "
                + tuples.joined(separator: ", ") + onConflict
            written += try await c.query(PostgresQuery(unsafeSQL: sql, bindings: bindings)).affectedRows
        }
        return written
    }

    /// One province's rows of a copied table kept in the temporary table `merge_<table>` (dropped
    /// at the end of the transaction), read under its scope. How many rows it holds.
    static func stage(_ table: String, province: Int64, _ c: PostgresConnection) async throws -> Int {
        try await c.executeScript("DROP TABLE IF EXISTS merge_\(table); CREATE TEMPORARY TABLE merge_\(table) ON COMMIT DROP AS SELECT * FROM chitieu.\(table) WHERE false")
        var bindings = PostgresBindings()
        bindings.append(province)
        return try await c.query(PostgresQuery(unsafeSQL: "INSERT INTO merge_\(table) SELECT * FROM chitieu.\(table) WHERE province_id = $1", bindings: bindings)).affectedRows
    }

    /// The staged rows of a copied table written under the merged province `b` by one
    /// INSERT … SELECT: their ids kept, indicators and phases mapped by the merged province's ids
    /// of the same codes (old id → new id), idempotency keys left behind (a key belongs to the
    /// province it was sent to). The statement reads no tenant table and names a conflict on the
    /// primary key: Citus then runs it through the coordinator and writes each row with an INSERT,
    /// which row-level security allows (without ON CONFLICT it copies, which it refuses). A row
    /// whose id is taken is not skipped: the count must be the staged one.
    static func writeStaged(
        _ table: String, staged: Int, into b: Int64, phases: [Int64: Int64], indicators: [Int64: Int64], _ c: PostgresConnection
    ) async throws -> Int {
        let columns = try await Self.columns(table, c).map(\.name)
        let key = try await c.query(
            """
            SELECT a.attname::text FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
            WHERE k.conrelid = ('chitieu.' || \(table))::regclass AND k.contype = 'p'
            """
        ).map { try $0.decode(String.self, at: 0) }
        let values = columns.map { name -> String in
            switch name {
            case "province_id": "$1"
            case "indicator_id": "mi.new_id"
            case "phase_id": "mp.new_id"
            case "idempotency_key", "idempotency_fingerprint": "NULL"
            default: "m." + PostgresQuery.quoteIdentifier(name)
            }
        }
        var bindings = PostgresBindings()
        bindings.append(b)
        for map in [indicators, phases] {
            bindings.append(Array(map.keys))
            bindings.append(Array(map.values))
        }
        let list = columns.map(PostgresQuery.quoteIdentifier).joined(separator: ", ")
        let written = try await c.query(PostgresQuery(
            unsafeSQL: """
                INSERT INTO chitieu.\(table) (\(list)) OVERRIDING SYSTEM VALUE
                SELECT \(values.joined(separator: ", ")) FROM merge_\(table) m
                \(columns.contains("indicator_id") ? "LEFT JOIN unnest($2::bigint[], $3::bigint[]) AS mi (old_id, new_id) ON mi.old_id = m.indicator_id" : "")
                \(columns.contains("phase_id") ? "LEFT JOIN unnest($4::bigint[], $5::bigint[]) AS mp (old_id, new_id) ON mp.old_id = m.phase_id" : "")
                ON CONFLICT \(key.isEmpty ? "" : "(" + key.map(PostgresQuery.quoteIdentifier).joined(separator: ", ") + ")") DO NOTHING
                """, bindings: bindings)).affectedRows
        guard written == staged else {
            throw ChitieuError(.conflict, field: "--from", reason: "\(staged - written) of the \(staged) rows of \(table) have ids the merged province holds already")
        }
        try await c.executeScript("DROP TABLE merge_\(table)")
        return written
    }

    /// Copies one predecessor into the merged province, inside the merge's transaction: what is
    /// carried is read under the predecessor's scope, then written under the merged province's
    /// (one province per statement, so that on Citus each runs on one worker).
    private func carry(
        _ p: Province, into province: Province, on day: PostgresDate, lastDay: PostgresDate, actor: Actor, _ c: PostgresConnection
    ) async throws -> [String: Int] {
        let b = province.id
        let (snapshots, staged, endedRoots) = try await end(p, lastDay: lastDay, c)
        try await use(b, c)
        var carried = try await carryCatalogue(p, into: province, snapshots, c)
        carried.merge(try await copyRows(snapshots, staged: staged, into: b, c)) { $1 }
        carried["grants_made_read_only"] = try await endGrants(snapshots["role_grant"]!, into: b, on: day, lastDay: lastDay, actor: actor, c)
        try await c.query("UPDATE chitieu.login_name SET province_id = \(b) WHERE province_id = \(p.id)")
        carried["province_links"] = try await linkUnits(endedRoots, into: province, on: day, c)
        try await c.query(
            """
            INSERT INTO chitieu.province_lineage (province_id, predecessor_id, predecessor_code, predecessor_name, merged_on, merged_by, carried)
            VALUES (\(b), \(p.id), \(p.code), \(p.name), \(day), \(actor.accountID), \(AuditLog.json(carried))::jsonb)
            """)
        try await AuditLog.record(
            TenantTransaction(connection: c, provinceID: b), actor: actor, action: "tenant.merge", entityType: "province", entityID: String(p.id),
            after: AuditLog.json(["predecessor": p.code, "predecessor_name": p.name, "merged_on": day.description, "carried": carried]))
        // The predecessor: its accounts have moved; it names its successor.
        try await use(p.id, c)
        try await c.query("DELETE FROM chitieu.account WHERE province_id = \(p.id)")
        try await TokenCache.announceChange(province: p.id, on: c)
        try await FiguresCache.announceChange(province: p.id, on: c)
        try await c.query("UPDATE chitieu.province SET successor_id = \(b) WHERE province_id = \(p.id)")
        try await AuditLog.record(
            TenantTransaction(connection: c, provinceID: p.id), actor: actor, action: "tenant.merged_into", entityType: "province", entityID: String(b),
            after: AuditLog.json(["successor": province.code, "successor_name": province.name, "merged_on": day.description, "carried": carried]))
        return carried
    }

    /// Ends the predecessor and its units the day before the merge, under its scope: the
    /// snapshots of the catalogue and accounts, the copied tables staged (their rows, by table),
    /// and its own unit and districts that ended.
    private func end(_ p: Province, lastDay: PostgresDate, _ c: PostgresConnection) async throws -> ([String: Snapshot], staged: [String: Int], endedRoots: [Int64]) {
        try await c.query("UPDATE chitieu.province SET valid_to = \(lastDay) WHERE province_id = \(p.id) AND (valid_to IS NULL OR valid_to > \(lastDay))")
        try await c.query(
            """
            UPDATE chitieu.admin_unit SET valid_to = \(lastDay)
            WHERE province_id = \(p.id) AND valid_from <= \(lastDay) AND (valid_to IS NULL OR valid_to > \(lastDay))
            """)
        var snapshots: [String: Snapshot] = [:], staged: [String: Int] = [:]
        for table in Self.readIntoClient {
            snapshots[table] = try await Self.snapshot(table, province: p.id, c)
        }
        for table in Self.copied {
            staged[table] = try await Self.stage(table, province: p.id, c)
        }
        let endedRoots = try await c.query(
            """
            SELECT unit_id FROM chitieu.admin_unit
            WHERE province_id = \(p.id) AND level IN ('province', 'district') AND valid_to = \(lastDay) ORDER BY unit_id
            """
        ).map { try $0.decode(Int64.self, at: 0) }
        return (snapshots, staged, endedRoots)
    }

    /// The phases and indicators the merged province lacks (matched by code), created; the
    /// snapshots' phase and indicator ids mapped to the merged province's. Refused when an
    /// indicator of the same code is another kind of count there.
    private func carryCatalogue(_ p: Province, into province: Province, _ snapshots: [String: Snapshot], _ c: PostgresConnection) async throws -> [String: Int] {
        var carried: [String: Int] = [:]
        let b = province.id
        // Indicators of the same code must be the same kind of count to be added up.
        let kinds = Dictionary(
            uniqueKeysWithValues: try await c.query("SELECT code, kind FROM chitieu.indicator WHERE province_id = \(b)").map {
                (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
            })
        let indicators = snapshots["indicator"]!
        let incoming = zip(indicators.values("code"), indicators.values("kind")).compactMap { code, kind in code.flatMap { code in kind.map { (code, $0) } } }
        if let (code, kind) = incoming.sorted(by: { $0.0 < $1.0 }).first(where: { kinds[$0.0] != nil && kinds[$0.0] != $0.1 }) {
            throw ChitieuError(.invalid,
                field: "--from",
                reason: "indicator \(code) is a \(kind) count in \(p.code) but a \(kinds[code]!) count in \(province.code); give one of them another code first")
        }
        let phases = snapshots["phase"]!
        let phaseCodes = Set(try await c.query("SELECT code FROM chitieu.phase WHERE province_id = \(b)").map { try $0.decode(String.self, at: 0) })
        let phaseColumns = phases.columns.filter { ["province_id", "code", "first_year", "last_year"].contains($0.name) }
        let newPhases = phases.rows.filter { row in !phaseCodes.contains(row[phases.columns.firstIndex { $0.name == "code" }!] ?? "") }
            .map { row in phaseColumns.map { column in column.name == "province_id" ? String(b) : row[phases.columns.firstIndex { $0.name == column.name }!] } }
        carried["phase"] = try await Self.insert("phase", phaseColumns, newPhases, c)
        let indicatorColumns = indicators.columns.filter { $0.name != "indicator_id" }
        let newIndicators = indicators.rows.filter { row in kinds[row[indicators.columns.firstIndex { $0.name == "code" }!] ?? ""] == nil }
            .map { row in indicatorColumns.map { column in column.name == "province_id" ? String(b) : row[indicators.columns.firstIndex { $0.name == column.name }!] } }
        carried["indicator"] = try await Self.insert("indicator", indicatorColumns, newIndicators, c)
        return carried
    }

    /// The merged province's ids of a catalogue table, by the predecessor's ids in `snapshot`, matched by code.
    private func idMap(_ table: String, _ id: String, _ snapshot: Snapshot, into b: Int64, _ c: PostgresConnection) async throws -> [Int64: Int64] {
        let byCode = Dictionary(
            uniqueKeysWithValues: try await c.query(PostgresQuery(
                unsafeSQL: "SELECT code, \(id) FROM chitieu.\(table) WHERE province_id = $1",
                bindings: { var x = PostgresBindings(); x.append(b); return x }())
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) })
        var map: [Int64: Int64] = [:]
        for (old, code) in zip(snapshot.values(id), snapshot.values("code")) {
            if let old = old.flatMap({ Int64($0) }), let code, let new = byCode[code] { map[old] = new }
        }
        return map
    }

    /// The predecessor's rows copied under the merged province, with their ids: the staged
    /// tables on the server (indicators and phases mapped), then its accounts, credentials and
    /// grants from the client.
    private func copyRows(_ snapshots: [String: Snapshot], staged: [String: Int], into b: Int64, _ c: PostgresConnection) async throws -> [String: Int] {
        let phaseIDs = try await idMap("phase", "phase_id", snapshots["phase"]!, into: b, c)
        let indicatorIDs = try await idMap("indicator", "indicator_id", snapshots["indicator"]!, into: b, c)
        var carried: [String: Int] = [:]
        for table in Self.copied {
            carried[table] = try await Self.writeStaged(table, staged: staged[table] ?? 0, into: b, phases: phaseIDs, indicators: indicatorIDs, c)
        }
        for table in ["account", "credential", "role_grant"] {
            let snapshot = snapshots[table]!
            let rows = snapshot.rows.map { row in
                zip(row, snapshot.columns).map { value, column -> String? in column.name == "province_id" ? String(b) : value }
            }
            carried[table] = try await Self.insert(table, snapshot.columns, rows, overridingIdentity: true, c)
        }
        return carried
    }

    /// Grants on the units that ended become read-only over the history (a viewer grant from
    /// the merge day); proposals on the successors come from `proposals`. How many ended.
    private func endGrants(
        _ grants: Snapshot, into b: Int64, on day: PostgresDate, lastDay: PostgresDate, actor: Actor, _ c: PostgresConnection
    ) async throws -> Int {
        let grantIDs = grants.values("grant_id").compactMap { $0.flatMap { Int64($0) } }
        let ended = try await c.query(
            """
            UPDATE chitieu.role_grant g SET valid_to = \(lastDay)
            WHERE g.province_id = \(b) AND g.grant_id = ANY(\(grantIDs)::bigint[]) AND g.role <> 'viewer' AND g.revoked_at IS NULL
              AND (g.valid_to IS NULL OR g.valid_to > \(lastDay))
            RETURNING g.account_id::text, g.unit_id::text
            """
        ).map { [String(b), try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), "viewer", day.description, actor.accountID?.uuidString] }
        _ = try await Self.insert(
            "role_grant",
            [Column(name: "province_id", type: "bigint"), Column(name: "account_id", type: "uuid"), Column(name: "unit_id", type: "bigint"),
             Column(name: "role", type: "text"), Column(name: "valid_from", type: "date"), Column(name: "granted_by", type: "uuid")],
            ended, c)
        try await TokenCache.announceChange(province: b, on: c)
        try await FiguresCache.announceChange(province: b, on: c)
        return ended.count
    }

    /// The predecessor's own unit and its districts linked to the merged province's own unit; how many links were made.
    private func linkUnits(_ endedRoots: [Int64], into province: Province, on day: PostgresDate, _ c: PostgresConnection) async throws -> Int {
        let b = province.id
        let root = try await c.query(
            "SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(b) AND level = 'province' AND valid_from = \(day)")
        guard let rootID = try root.first?.decode(Int64.self, at: 0) else {
            throw ChitieuError(.invalid, field: "--into", reason: "\(province.code) has no unit of its own from \(day)")
        }
        let linkColumns = [
            Column(name: "province_id", type: "bigint"), Column(name: "from_unit_id", type: "bigint"), Column(name: "to_unit_id", type: "bigint"),
            Column(name: "effective_date", type: "date"), Column(name: "kind", type: "text"), Column(name: "weight", type: "numeric"),
        ]
        return try await Self.insert(
            "unit_succession", linkColumns, endedRoots.map { [String(b), String($0), String(rootID), day.description, "whole", "1"] },
            onConflict: " ON CONFLICT (province_id, from_unit_id, to_unit_id, effective_date) DO NOTHING", c)
    }
}

extension ReformStore {
    /// Imports succession links effective on `day` into the provinces that begin that day (those
    /// with `codes`, or all): for each line whose new commune is one of a province's units from
    /// `day` and whose old commune is one of its units that ended the day before (copied there
    /// by the merge), a link; the parts of a split weigh the same until the province sets their
    /// weights. Importing the same file again changes nothing; weights set by hand are kept.
    public func importSuccession(_ rows: [SuccessionRow], on day: PostgresDate, provinceCodes: Set<String>? = nil, actor: Actor) async throws -> SuccessionImportReport {
        let lastDay = day.dayBefore
        return try await database.pool.withTransaction { c in
            let parts = Dictionary(grouping: rows, by: \.oldCode).mapValues(\.count)
            var report = SuccessionImportReport()
            let provinces = try await c.query("SELECT province_id, code, name, valid_from, valid_to FROM chitieu.province WHERE valid_from = \(day) ORDER BY code")
                .map(TenantStore.decode).filter { provinceCodes?.contains($0.code) ?? true }
            var placedOld = Set<String>(), placedNew = Set<String>()
            for b in provinces {
                try await use(b.id, c)
                // The lines whose communes are this province's (old, new or both), and the links of
                // those with both, written in multi-row INSERT … VALUES batches (on Citus a
                // distributed table is not written from a temporary table).
                func communes(_ condition: StaticString, _ day: PostgresDate) async throws -> [String: Int64] {
                    var ids: [String: Int64] = [:]
                    for row in try await c.query(
                        "SELECT code, unit_id FROM chitieu.admin_unit WHERE province_id = \(b.id) AND level = 'commune' AND \(sql: condition) = \(day)")
                    {
                        ids[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1)
                    }
                    return ids
                }
                let newIDs = try await communes("valid_from", day)
                let oldIDs = try await communes("valid_to", lastDay)
                placedOld.formUnion(rows.filter { oldIDs[$0.oldCode] != nil }.map(\.oldCode))
                placedNew.formUnion(rows.filter { newIDs[$0.newCode] != nil }.map(\.newCode))
                let links = rows.compactMap { row in
                    oldIDs[row.oldCode].flatMap { old in newIDs[row.newCode].map { (old, $0, row.kind, parts[row.oldCode] ?? 1) } }
                }
                var written = 0
                for start in stride(from: 0, to: links.count, by: 1000) {
                    var bindings = PostgresBindings()
                    bindings.append(b.id)
                    bindings.append(day)
                    var tuples: [String] = []
                    for (old, new, kind, count) in links[start..<min(start + 1000, links.count)] {
                        let at = bindings.count
                        bindings.append(old)
                        bindings.append(new)
                        bindings.append(kind)
                        bindings.append(count)
                        tuples.append("($1, $\(at + 1), $\(at + 2), $2::date, $\(at + 3), round(1.0 / $\(at + 4)::int, 6))")
                    }
                    written += try await c.query(PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO chitieu.unit_succession AS s (province_id, from_unit_id, to_unit_id, effective_date, kind, weight)
                            VALUES \(tuples.joined(separator: ", "))
                            ON CONFLICT (province_id, from_unit_id, to_unit_id, effective_date) DO UPDATE
                               SET kind = excluded.kind, weight = CASE WHEN s.weight_set_by IS NULL THEN excluded.weight ELSE s.weight END
                             WHERE s.kind <> excluded.kind OR (s.weight_set_by IS NULL AND s.weight <> excluded.weight)
                            """, bindings: bindings)).affectedRows
                }
                report.linksByProvince[b.code] = written
                if written > 0 {
                    try await AuditLog.record(
                        TenantTransaction(connection: c, provinceID: b.id), actor: actor, action: "units.succession", entityType: "unit_succession",
                        entityID: nil, after: AuditLog.json(["effective_date": day.description, "links_written": written]))
                    try await Self.recomputeEveryPhase(of: b.id, on: c)
                }
            }
            report.oldUnitsMissing = Set(rows.map(\.oldCode)).subtracting(placedOld).count
            report.newUnitsMissing = Set(rows.map(\.newCode)).subtracting(placedNew).count
            return report
        }
    }

    /// Sets the weights of the parts of a split unit (`oldCode`, ended before `day`) by the codes
    /// of its successors; every part must be named, each weight > 0 (only ratios matter).
    public func setWeights(province: Province, oldCode: String, weights: [String: Decimal], caller: Caller) async throws -> Int {
        try await database.withTenant(province.id) { tx in
            try await Access.require(caller, .planAllocation, tx: tx)
            let links = try await tx.query(
                """
                SELECT s.succession_id, n.code FROM chitieu.unit_succession s
                JOIN chitieu.admin_unit o ON o.province_id = s.province_id AND o.unit_id = s.from_unit_id
                JOIN chitieu.admin_unit n ON n.province_id = s.province_id AND n.unit_id = s.to_unit_id
                WHERE s.province_id = \(tx.provinceID) AND o.code = \(oldCode) AND o.level = 'commune'
                """)
            guard !links.isEmpty else { throw ChitieuError(.invalid, field: "unit", reason: "no unit of \(province.code) with the code \(oldCode) has successors") }
            let byCode = Dictionary(uniqueKeysWithValues: try links.map { (try $0.decode(String.self, "code"), try $0.decode(Int64.self, "succession_id")) })
            guard links.count > 1 else { throw ChitieuError(.invalid, field: "unit", reason: "\(oldCode) went whole into one unit; a whole link has no weight to set") }
            for code in weights.keys where byCode[code] == nil {
                throw ChitieuError(.invalid, field: "weight", reason: "\(code) is not a successor of \(oldCode) (its successors: \(byCode.keys.sorted().joined(separator: ", ")))")
            }
            for code in byCode.keys where weights[code] == nil {
                throw ChitieuError(.invalid, field: "weight", reason: "give a weight for every part of \(oldCode): \(code) is missing")
            }
            let total = weights.values.reduce(Decimal(0), +)
            for (code, w) in weights where w <= 0 { throw ChitieuError(.invalid, field: "weight", reason: "the weight of \(code) must be more than 0") }
            var changed = 0
            for (code, w) in weights.sorted(by: { $0.key < $1.key }) {
                var share = w / total * 1_000_000
                var rounded = Decimal()
                NSDecimalRound(&rounded, &share, 0, .plain)
                let stored = max(Decimal(1), rounded) / 1_000_000
                changed += try await tx.query(
                    """
                    UPDATE chitieu.unit_succession SET weight = \(stored), weight_set_by = \(caller.actor.accountID), weight_set_at = now()
                    WHERE province_id = \(tx.provinceID) AND succession_id = \(byCode[code]!) AND weight <> \(stored)
                    """).affectedRows
            }
            if changed > 0 {
                try await AuditLog.record(
                    tx, actor: caller.actor, action: "units.succession_weights", entityType: "unit_succession", entityID: oldCode,
                    after: AuditLog.json(weights.mapValues { NSDecimalNumber(decimal: $0).doubleValue }))
                try await Self.recomputeEveryPhase(of: tx.provinceID, on: tx.connection)
            }
            return changed
        }
    }

    /// For each grant that ended with its unit (made read-only by a merge), the grant proposed on
    /// the unit that succeeded it: for a commune, the successor that took the whole or most of
    /// it; for the province, the merged province's own unit. District grants end with the
    /// district: nothing is proposed. Grants the account holds already are left out.
    public func proposals(province: Province) async throws -> [GrantProposal] {
        try await database.withTenant(province.id) { tx in
            try await tx.query(
                """
                SELECT g.grant_id, a.username, g.role, o.code AS old_code, o.name AS old_name,
                       n.unit_id AS new_id, n.code AS new_code, n.name AS new_name, s.kind
                FROM chitieu.role_grant g
                JOIN chitieu.account a ON a.province_id = g.province_id AND a.account_id = g.account_id
                JOIN chitieu.admin_unit o ON o.province_id = g.province_id AND o.unit_id = g.unit_id
                JOIN LATERAL (
                    SELECT s.to_unit_id, s.kind FROM chitieu.unit_succession s
                    WHERE s.province_id = g.province_id AND s.from_unit_id = g.unit_id AND s.effective_date = g.valid_to + 1
                    ORDER BY s.kind = 'split-default' DESC, s.weight DESC, s.to_unit_id LIMIT 1
                ) s ON true
                JOIN chitieu.admin_unit n ON n.province_id = g.province_id AND n.unit_id = s.to_unit_id
                WHERE g.province_id = \(tx.provinceID) AND g.role <> 'viewer' AND g.revoked_at IS NULL
                  AND g.valid_to = o.valid_to AND o.level IN ('province', 'commune') AND n.level = o.level
                  AND NOT EXISTS (SELECT 1 FROM chitieu.role_grant x
                                  WHERE x.province_id = g.province_id AND x.account_id = g.account_id AND x.unit_id = n.unit_id
                                    AND x.role = g.role AND x.revoked_at IS NULL AND (x.valid_to IS NULL OR x.valid_to >= current_date))
                ORDER BY n.name, a.username
                """
            ).map { row in
                GrantProposal(
                    grantID: try row.decode(Int64.self, "grant_id"), username: try row.decode(String.self, "username"),
                    role: try row.decode(String.self, "role"), oldUnitCode: try row.decode(String.self, "old_code"),
                    oldUnitName: try row.decode(String.self, "old_name"), newUnitID: try row.decode(Int64.self, "new_id"),
                    newUnitCode: try row.decode(String.self, "new_code"), newUnitName: try row.decode(String.self, "new_name"),
                    kind: try row.decode(String.self, "kind"))
            }
        }
    }

    /// Grants the proposals the province confirms (by the ended grant's id, the unit it proposes
    /// given by code, so a province may pick another successor). Returns the grants made.
    public func confirm(province: Province, _ confirmed: [(grantID: Int64, unitCode: String)], caller: Caller) async throws -> Int {
        let proposals = Dictionary(uniqueKeysWithValues: try await self.proposals(province: province).map { ($0.grantID, $0) })
        return try await database.withTenant(province.id) { tx in
            var made = 0
            for (grantID, code) in confirmed {
                guard let proposal = proposals[grantID] else {
                    throw ChitieuError(.invalid, field: "grant_id", reason: "\(grantID) is not a grant that ended with its unit and awaits a successor")
                }
                let unit = try await tx.resolve.unit(.code(code), field: "unit_code")
                guard unit.level.rawValue == (proposal.role == "province" ? "province" : "commune") else {
                    throw ChitieuError(.invalid, field: "unit_code", reason: "a \(proposal.role) grant goes on a \(proposal.role == "province" ? "province" : "commune"), not a \(unit.level.rawValue)")
                }
                guard let account = try await AccountStore.find(username: proposal.username, tx: tx) else { throw ChitieuError.notFound("the account") }
                try await Access.require(caller, .grant(Role(rawValue: proposal.role) ?? .viewer), unit: unit.id, tx: tx)
                let id = try await tx.query(
                    """
                    INSERT INTO chitieu.role_grant (province_id, account_id, unit_id, role, granted_by)
                    VALUES (\(tx.provinceID), \(account.id), \(unit.id), \(proposal.role), \(caller.actor.accountID))
                    RETURNING grant_id
                    """)[0].decode(Int64.self, at: 0)
                try await TokenCache.announceChange(province: tx.provinceID, on: tx.connection)
                try await AuditLog.record(
                    tx, actor: caller.actor, action: "grant.create", entityType: "role_grant", entityID: String(id), unitID: unit.id,
                    after: AuditLog.json(["username": proposal.username, "role": proposal.role, "unit": code, "succeeds_grant": grantID]))
                made += 1
            }
            return made
        }
    }
}

/// What applying a reform did, step by step, with the time each took.
public struct ReformReport: Sendable {
    public var units: UnitImportReport
    public var merges: [MergeReport] = []
    public var succession = SuccessionImportReport()
    /// Seconds per step: units, merges, succession.
    public var seconds: [String: Double] = [:]
}

extension ReformStore {
    /// Applies a reform on `day`: imports the new units (creating the provinces that begin that
    /// day), merges into each new province the provinces whose communes went into it (from the
    /// succession file), then imports the succession links. Each province's merge is one
    /// transaction; running it again after a failure continues where it stopped.
    public func apply(
        units file: AdminUnitsFile, succession rows: [SuccessionRow], on day: PostgresDate, provinceCodes: Set<String>? = nil, actor: Actor, source: String
    ) async throws -> ReformReport {
        let clock = ContinuousClock()
        var started = clock.now
        func lap() -> Double {
            let d = clock.now - started
            started = clock.now
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        var selected = file
        if let provinceCodes { selected.units = file.units.filter { provinceCodes.contains($0.provinceCode) } }
        let lastDay = day.dayBefore
        var report = ReformReport(units: try await UnitStore(database: database).importUnits(selected, validFrom: day, validTo: nil, actor: actor, source: source))
        report.seconds["units"] = lap()
        // Which old province each old commune belonged to, and which new province each new commune belongs to.
        let newProvinceOf = Dictionary(selected.units.filter { $0.level == .commune }.map { ($0.code, $0.provinceCode) }, uniquingKeysWith: { a, _ in a })
        let provinces = try await TenantStore(database: database).list()
        var oldProvinceOf: [String: Int64] = [:]
        for p in provinces where p.validFrom <= lastDay && (p.validTo.map { $0 >= lastDay } ?? true) {
            let codes = try await database.withTenant(p.id) { tx in
                try await tx.query(
                    """
                    SELECT code FROM chitieu.admin_unit
                    WHERE province_id = \(p.id) AND level = 'commune' AND valid_from <= \(lastDay) AND (valid_to IS NULL OR valid_to >= \(lastDay))
                    """).map { try $0.decode(String.self, at: 0) }
            }
            for code in codes { oldProvinceOf[code] = p.id }
        }
        var predecessors: [String: Set<Int64>] = [:]
        for row in rows {
            guard let new = newProvinceOf[row.newCode], let old = oldProvinceOf[row.oldCode] else { continue }
            predecessors[new, default: []].insert(old)
        }
        let byID = Dictionary(uniqueKeysWithValues: provinces.map { ($0.id, $0) })
        for into in provinces.filter({ $0.validFrom == day && predecessors[$0.code] != nil }).sorted(by: { $0.code < $1.code }) {
            // A predecessor merged into this province already is left alone (a run that stopped).
            let from = try await database.pool.query(
                "SELECT province_id, successor_id FROM chitieu.province WHERE province_id = ANY(\(Array(predecessors[into.code]!))::bigint[])"
            ).filter { try $0.decode(Int64?.self, at: 1) == nil }.compactMap { byID[try $0.decode(Int64.self, at: 0)] }.sorted { $0.code < $1.code }
            guard !from.isEmpty else { continue }
            report.merges.append(try await merge(into: into, from: from, on: day, actor: actor))
        }
        report.seconds["merges"] = lap()
        report.succession = try await importSuccession(rows, on: day, provinceCodes: provinceCodes, actor: actor)
        report.seconds["succession"] = lap()
        return report
    }
}

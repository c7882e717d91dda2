public import ChitieuDomain
public import Foundation
public import Postgres

/// What an import did, per level.
public struct UnitImportReport: Sendable {
    /// Counts for one level.
    public struct Counts: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        /// Creates counts.
        public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
            self.inserted = inserted
            self.updated = updated
            self.unchanged = unchanged
        }
    }
    /// Tenants created by the import.
    public var provincesCreated: [Province] = []
    /// Counts by level.
    public var levels: [UnitLevel: Counts] = [:]
    /// Total units in the file (after the province filter).
    public var unitsRead = 0
}

/// One unit in a tree listing.
public struct UnitNode: Sendable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var typeLabel: String
    public var parentID: Int64?
    public var validFrom: PostgresDate
    public var validTo: PostgresDate?
    /// Position among its siblings in Vietnamese (ICU `vi`) order.
    public var sortKey: Int
}

/// Administrative units: import from GSO files, and the hierarchy.
public struct UnitStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database; imports need the owner's connection (they may create tenants and use COPY).
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// Imports a parsed file: creates the tenants it names that do not exist for `validFrom`,
    /// and inserts or updates their units. All or nothing, in one transaction; importing the
    /// same file again changes nothing.
    /// With `dryRun`, everything is done and then rolled back: the report says what would change.
    public func importUnits(
        _ file: AdminUnitsFile, validFrom: PostgresDate, validTo: PostgresDate?, actor: Actor, source: String,
        dryRun: Bool = false
    ) async throws -> UnitImportReport {
        if let validTo, validTo < validFrom {
            throw ChitieuError(.invalid, field: "valid-to", reason: "\(validTo) is before valid-from \(validFrom)")
        }
        let units = file.units
        struct DryRun: Error { var report: UnitImportReport }
        do {
            return try await importTransaction(units: units, layout: file.layout, validFrom: validFrom, validTo: validTo, actor: actor, source: source) { report in
                if dryRun { throw DryRun(report: report) }
            }
        } catch let rolledBack as DryRun {
            return rolledBack.report
        }
    }

    private func importTransaction(
        units: [ImportedUnit], layout: AdminUnitsFile.Layout, validFrom: PostgresDate, validTo: PostgresDate?, actor: Actor,
        source: String, beforeCommit: @escaping @Sendable (UnitImportReport) throws -> Void
    ) async throws -> UnitImportReport {
        try await database.pool.withTransaction { connection in
            var report = UnitImportReport()
            report.unitsRead = units.count
            var seenProvinces = Set<String>()
            for provinceUnit in units where provinceUnit.level == .province && seenProvinces.insert(provinceUnit.code).inserted {
                let existing = try await connection.query(
                    "SELECT province_id, code, name, valid_from, valid_to FROM chitieu.province WHERE code = \(provinceUnit.code) AND valid_from = \(validFrom)")
                let province: Province
                if let row = existing.first {
                    province = try TenantStore.decode(row)
                    try await connection.query("SELECT chitieu.use_province(\(province.id))")
                } else {
                    let idRows = try await connection.query(
                        "SELECT nextval(pg_get_serial_sequence('chitieu.province', 'province_id')) AS id")
                    province = Province(
                        id: try idRows[0].decode(Int64.self, "id"), code: provinceUnit.code, name: provinceUnit.name,
                        validFrom: validFrom, validTo: validTo)
                    try await connection.query("SELECT chitieu.use_province(\(province.id))")
                    try await TenantStore.insert(province, tx: TenantTransaction(connection: connection, provinceID: province.id), actor: actor)
                    report.provincesCreated.append(province)
                }
                var counts: [UnitLevel: UnitImportReport.Counts] = [:]
                for level in [UnitLevel.province, .district, .commune] {
                    // The units of the level, each with its parent's id (imported by the level
                    // above, or there already), written in multi-row INSERT … VALUES batches of
                    // one province: on Citus a distributed table is written neither from a
                    // temporary table nor by an INSERT … SELECT under row-level security.
                    let parentLevel: UnitLevel? =
                        switch level {
                        case .province: nil
                        case .district: .province
                        case .commune: layout == .threeLevel ? .district : .province
                        case .village: .commune
                        }
                    var parents: [String: Int64] = [:]
                    if let parentLevel {
                        for row in try await connection.query(
                            """
                            SELECT code, unit_id FROM chitieu.admin_unit
                            WHERE province_id = \(province.id) AND level = \(parentLevel.rawValue) AND valid_from = \(validFrom)
                            """)
                        {
                            parents[try row.decode(String.self, at: 0)] = try row.decode(Int64.self, at: 1)
                        }
                    }
                    let rows = units.filter { $0.provinceCode == province.code && $0.level == level }
                    var inserted = 0
                    var updated = 0
                    let total = rows.count
                    for start in stride(from: 0, to: rows.count, by: 1000) {
                        var bindings = PostgresBindings()
                        bindings.append(province.id)
                        bindings.append(validFrom)
                        bindings.append(validTo)
                        var tuples: [String] = []
                        for unit in rows[start..<min(start + 1000, rows.count)] {
                            let at = bindings.count
                            bindings.append(unit.level.rawValue)
                            bindings.append(unit.code)
                            bindings.append(unit.name)
                            bindings.append(unit.typeLabel)
                            bindings.append(unit.parentCode.flatMap { parents[$0] })
                            tuples.append("($1, $\(at + 1), $\(at + 2), $\(at + 3), $\(at + 4), $\(at + 5)::bigint, $2::date, $3::date)")
                        }
                        let written = try await connection.query(PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO chitieu.admin_unit AS u (province_id, level, code, name, type_label, parent_id, valid_from, valid_to)
                                VALUES \(tuples.joined(separator: ", "))
                                ON CONFLICT (province_id, level, code, valid_from) DO UPDATE
                                   SET name = excluded.name, type_label = excluded.type_label,
                                       parent_id = excluded.parent_id, valid_to = excluded.valid_to
                                 WHERE (u.name, u.type_label, u.parent_id, u.valid_to)
                                       IS DISTINCT FROM (excluded.name, excluded.type_label, excluded.parent_id, excluded.valid_to)
                                RETURNING (xmax = 0) AS inserted
                                """, bindings: bindings))
                        for row in written {
                            if try row.decode(Bool.self, at: 0) { inserted += 1 } else { updated += 1 }
                        }
                    }
                    var c = UnitImportReport.Counts(inserted: inserted, updated: updated, unchanged: total - inserted - updated)
                    if level == .province, report.provincesCreated.last?.id == province.id {
                        // The tenant's own unit was created with the tenant; the file only confirmed it.
                        c = UnitImportReport.Counts(inserted: c.inserted + 1, updated: c.updated, unchanged: c.unchanged - 1)
                    }
                    counts[level] = c
                    report.levels[level, default: .init()].inserted += c.inserted
                    report.levels[level, default: .init()].updated += c.updated
                    report.levels[level, default: .init()].unchanged += c.unchanged
                }
                let changed = counts.values.contains { $0.inserted + $0.updated > 0 }
                if changed {
                    // The scopes of progress answers kept in daemons' memory follow the tree.
                    try await FiguresCache.announceChange(province: province.id, on: connection)
                    try await AuditLog.record(
                        TenantTransaction(connection: connection, provinceID: province.id), actor: actor,
                        action: "units.import", entityType: "admin_unit", entityID: nil,
                        after: AuditLog.json([
                            "source": source, "valid_from": validFrom.description,
                            "inserted": counts.values.reduce(0) { $0 + $1.inserted },
                            "updated": counts.values.reduce(0) { $0 + $1.updated },
                        ]))
                }
            }
            try beforeCommit(report)
            return report
        }
    }

    /// The units of a province valid on a date, each with its position among its siblings in
    /// Vietnamese collation order.
    public func units(of province: Province, on date: PostgresDate) async throws -> [UnitNode] {
        try await database.withTenant(province.id) { tx in
            let rows = try await tx.query(
                """
                SELECT unit_id, level, code, name, type_label, parent_id, valid_from, valid_to,
                       row_number() OVER (PARTITION BY parent_id ORDER BY name, code) AS sort_key
                FROM chitieu.admin_unit
                WHERE province_id = \(tx.provinceID) AND valid_from <= \(date) AND (valid_to IS NULL OR valid_to >= \(date))
                """)
            return try rows.map { row in
                UnitNode(
                    id: try row.decode(Int64.self, "unit_id"),
                    level: UnitLevel(rawValue: try row.decode(String.self, "level")) ?? .commune,
                    code: try row.decode(String.self, "code"), name: try row.decode(String.self, "name"),
                    typeLabel: try row.decode(String.self, "type_label"), parentID: try row.decode(Int64?.self, "parent_id"),
                    validFrom: try row.decode(PostgresDate.self, "valid_from"),
                    validTo: try row.decode(PostgresDate?.self, "valid_to"), sortKey: try row.decode(Int.self, "sort_key"))
            }
        }
    }

    /// Sets numeric attributes of units (unit code, attribute name, value), replacing earlier
    /// values of the same names; all or nothing. Returns how many values were stored.
    public func importAttributes(_ rows: [(code: String, name: String, value: Decimal)], province: Province, caller: Caller) async throws -> Int {
        for (i, row) in rows.enumerated() {
            guard row.name.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
                throw ChitieuError(.invalid, field: "line \(i + 2) name", reason: "'\(row.name)' must be lower-case letters, digits or '_', starting with a letter")
            }
            guard row.value >= 0 else { throw ChitieuError(.invalid, field: "line \(i + 2) value", reason: "\(row.value) is negative") }
        }
        return try await database.withTenant(province.id) { tx in
            try await Access.require(caller, .planAllocation, tx: tx)
            var ids: [String: Int64] = [:]
            for row in try await tx.query(
                "SELECT DISTINCT ON (code) code, unit_id FROM chitieu.admin_unit WHERE province_id = \(tx.provinceID) ORDER BY code, valid_from DESC")
            {
                ids[try row.decode(String.self, "code")] = try row.decode(Int64.self, "unit_id")
            }
            var stored = 0
            for (i, row) in rows.enumerated() {
                guard let id = ids[row.code] else {
                    throw ChitieuError(.invalid, field: "line \(i + 2) unit_code", reason: "no unit of province \(province.code) has the code '\(row.code)'")
                }
                stored += try await tx.query(
                    """
                    INSERT INTO chitieu.unit_attribute (province_id, unit_id, name, value) VALUES (\(tx.provinceID), \(id), \(row.name), \(row.value))
                    ON CONFLICT (province_id, unit_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    WHERE unit_attribute.value <> excluded.value
                    """).affectedRows
            }
            if stored > 0 {
                try await AuditLog.record(
                    tx, actor: caller.actor, action: "units.attributes", entityType: "unit_attribute", entityID: nil,
                    after: AuditLog.json(["values": stored, "names": Array(Set(rows.map(\.name))).sorted()]))
            }
            return stored
        }
    }
}

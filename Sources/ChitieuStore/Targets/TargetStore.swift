public import ChitieuDomain
import Foundation
public import Postgres

/// A planning phase of a province.
public struct Phase: Sendable, Hashable {
    public var id: Int64
    public var code: String
    public var firstYear: Int
    public var lastYear: Int
    /// The years of the phase, in order.
    public var years: [Int] { Array(firstYear...lastYear) }
    /// First day of the phase.
    public var start: PostgresDate { PostgresDate(year: firstYear, month: 1, day: 1) }
    /// Last day of the phase.
    public var end: PostgresDate { PostgresDate(year: lastYear, month: 12, day: 31) }
}

/// A unit as targets see it.
public struct TargetUnit: Sendable, Hashable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var parentID: Int64?
    /// Position among siblings in Vietnamese order.
    public var sortKey: Int
    /// First day of validity.
    public var validFrom: PostgresDate
    /// Last day of validity, nil while current.
    public var validTo: PostgresDate?

    /// Whether the unit exists on some day of a year.
    public func exists(in year: Int) -> Bool {
        validFrom.year <= year && (validTo.map { $0.year >= year } ?? true)
    }
}

/// One stored target cell.
public struct TargetCell: Sendable, Hashable {
    public var unitID: Int64
    /// nil for the phase value.
    public var year: Int?
    public var value: Int
    public var origin: String
    public var locked: Bool
}

/// Targets: set by hand, shown as a tree.
public struct TargetStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    static func phase(code: String, tx: TenantTransaction) async throws -> Phase {
        let rows = try await tx.query(
            "SELECT phase_id, code, first_year, last_year FROM chitieu.phase WHERE province_id = \(tx.provinceID) AND code = \(code)")
        guard let row = rows.first else {
            let known = try await tx.query("SELECT code FROM chitieu.phase WHERE province_id = \(tx.provinceID) ORDER BY code")
                .map { try $0.decode(String.self, at: 0) }
            throw InputError(field: "phase", reason: "the province has no phase '\(code)' (it has \(known.joined(separator: ", ")))")
        }
        return Phase(
            id: try row.decode(Int64.self, "phase_id"), code: try row.decode(String.self, "code"),
            firstYear: Int(try row.decode(Int16.self, "first_year")), lastYear: Int(try row.decode(Int16.self, "last_year")))
    }

    /// The units valid at some time during the phase, with their Vietnamese sibling order.
    static func units(of phase: Phase, tx: TenantTransaction) async throws -> [TargetUnit] {
        try await tx.query(
            """
            SELECT unit_id, level, code, name, parent_id, valid_from, valid_to,
                   row_number() OVER (PARTITION BY parent_id ORDER BY name, code) AS sort_key
            FROM chitieu.admin_unit
            WHERE province_id = \(tx.provinceID) AND valid_from <= \(phase.end) AND (valid_to IS NULL OR valid_to >= \(phase.start))
            """, prepared: true
        ).map { row in
            TargetUnit(
                id: try row.decode(Int64.self, "unit_id"), level: UnitLevel(rawValue: try row.decode(String.self, "level")) ?? .commune,
                code: try row.decode(String.self, "code"), name: try row.decode(String.self, "name"),
                parentID: try row.decode(Int64?.self, "parent_id"), sortKey: try row.decode(Int.self, "sort_key"),
                validFrom: try row.decode(PostgresDate.self, "valid_from"), validTo: try row.decode(PostgresDate?.self, "valid_to"))
        }
    }

    /// The unit with a GSO code during the phase; the province unit when `code` is nil.
    static func unit(code: String?, in units: [TargetUnit]) throws -> TargetUnit {
        guard let code else {
            guard let root = units.first(where: { $0.level == .province }) else {
                throw InputError(field: "unit", reason: "the province has no province-level unit")
            }
            return root
        }
        let matches = units.filter { $0.code == code }
        guard let unit = matches.first else {
            throw InputError(field: "unit", reason: "no unit of this province has the code '\(code)' during the phase")
        }
        guard matches.count == 1 else {
            throw InputError(field: "unit", reason: "the code '\(code)' names \(matches.count) units during the phase")
        }
        return unit
    }

    static func cells(indicator: Int64, phase: Phase, tx: TenantTransaction) async throws -> [TargetCell] {
        try await tx.query(
            """
            SELECT unit_id, year, value, origin, locked FROM chitieu.target
            WHERE province_id = \(tx.provinceID) AND indicator_id = \(indicator) AND phase_id = \(phase.id)
            """, prepared: true
        ).map { row in
            TargetCell(
                unitID: try row.decode(Int64.self, "unit_id"), year: try row.decode(Int16?.self, "year").map(Int.init),
                value: try row.decode(Int.self, "value"), origin: try row.decode(String.self, "origin"), locked: try row.decode(Bool.self, "locked"))
        }
    }

    /// Sets a phase target (no unit, no year), a yearly target, or an override for one unit.
    /// The province's phase target is `assigned`; anything else set by hand is `overridden`.
    public func set(
        province: Int64, indicatorCode: String, phaseCode: String, unitCode: String?, year: Int?, value: Int, lock: Bool, caller: Caller
    ) async throws -> TargetCell {
        guard value >= 0 else { throw InputError(field: "value", reason: "\(value) is negative; a target is a count, 0 or more") }
        return try await database.withTenant(province) { tx in
            let indicator = try await IndicatorStore.find(code: indicatorCode, tx: tx)
            let phase = try await Self.phase(code: phaseCode, tx: tx)
            if let year, !phase.years.contains(year) {
                throw InputError(field: "year", reason: "\(year) is outside the phase \(phase.code)")
            }
            let units = try await Self.units(of: phase, tx: tx)
            let unit = try Self.unit(code: unitCode, in: units)
            try await Access.require(caller, .setTarget, unit: unit.id, tx: tx)
            let origin = unit.level == .province && year == nil ? "assigned" : "overridden"
            let before = try await tx.query(
                """
                SELECT value, origin, locked FROM chitieu.target
                WHERE province_id = \(tx.provinceID) AND indicator_id = \(indicator.id) AND unit_id = \(unit.id)
                  AND phase_id = \(phase.id) AND year IS NOT DISTINCT FROM \(year.map { Int16($0) })
                """)
            try await tx.query(
                """
                INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin, locked, set_by)
                VALUES (\(tx.provinceID), \(indicator.id), \(unit.id), \(phase.id), \(year.map { Int16($0) }), \(value), \(origin), \(lock), \(caller.actor.accountID))
                ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO UPDATE
                SET value = excluded.value, origin = excluded.origin, locked = excluded.locked, set_by = excluded.set_by, set_at = now()
                """)
            let beforeJSON = try before.first.map { row in
                AuditLog.json(["value": try row.decode(Int.self, "value"), "origin": try row.decode(String.self, "origin"), "locked": try row.decode(Bool.self, "locked")])
            }
            try await AuditLog.record(
                tx, actor: caller.actor, action: "target.set", entityType: "target",
                entityID: "\(indicator.draft.code)/\(phase.code)/\(unit.code)/\(year.map(String.init) ?? "phase")", unitID: unit.id,
                before: beforeJSON, after: AuditLog.json(["value": value, "origin": origin, "locked": lock]))
            return TargetCell(unitID: unit.id, year: year, value: value, origin: origin, locked: lock)
        }
    }

    /// Everything `target show` prints: the phase, the units, and the cells.
    public struct Sheet: Sendable {
        public var indicator: Indicator
        public var phase: Phase
        public var units: [TargetUnit]
        public var cells: [TargetCell]
    }

    /// The targets of an indicator in a phase, with the units of the phase.
    public func sheet(province: Int64, indicatorCode: String, phaseCode: String) async throws -> Sheet {
        try await database.withTenant(province) { tx in
            let indicator = try await IndicatorStore.find(code: indicatorCode, tx: tx)
            let phase = try await Self.phase(code: phaseCode, tx: tx)
            return Sheet(
                indicator: indicator, phase: phase, units: try await Self.units(of: phase, tx: tx),
                cells: try await Self.cells(indicator: indicator.id, phase: phase, tx: tx))
        }
    }
}

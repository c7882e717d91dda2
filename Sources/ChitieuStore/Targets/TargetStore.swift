public import ChitieuDomain
public import Foundation
public import Postgres

/// A target cell with its indicator and unit, as the API shows it.
public struct TargetRecord: Sendable, Hashable {
    public var id: Int64
    public var indicatorID: Int64
    public var indicatorCode: String
    public var phase: String
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var unitLevel: UnitLevel
    public var parentID: Int64?
    /// nil for the phase value.
    public var year: Int?
    public var value: Int
    public var origin: String
    public var locked: Bool
    public var setAt: Date
}

/// Targets: set by hand, shown as a tree.
public struct TargetStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// The province's phases, earliest first, for anyone of the province (pages offer them to choose from).
    public func phases(province: Int64, caller: Caller) async throws -> [Phase] {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            return try await tx.query(
                "SELECT phase_id, code, first_year, last_year FROM chitieu.phase WHERE province_id = \(province) ORDER BY first_year, code",
                prepared: true
            ).map {
                Phase(id: try $0.decode(Int64.self, at: 0), code: try $0.decode(String.self, at: 1),
                      firstYear: Int(try $0.decode(Int16.self, at: 2)), lastYear: Int(try $0.decode(Int16.self, at: 3)))
            }
        }
    }

    /// A phase of the province with its plan, for anyone of the province.
    public func phase(province: Int64, code: String, caller: Caller) async throws -> Phase {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            return try await tx.resolve.phase(code)
        }
    }

    /// Records the plan that set a phase's targets (province planners only), replacing the one
    /// recorded before; audited.
    public func setPlan(province: Int64, phaseCode: String, plan: PhasePlan, caller: Caller) async throws -> Phase {
        if let problem = plan.problem { throw ChitieuError(.invalid, field: problem.field, reason: problem.reason) }
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .planAllocation, what: "the phase", tx: tx)
            var phase = try await tx.resolve.phase(phaseCode, lock: true)
            let before = phase.plan
            try await tx.query(
                """
                UPDATE chitieu.phase SET plan_number = \(plan.number), plan_date = \(plan.date), plan_issuer = \(plan.issuer), plan_title = \(plan.title)
                WHERE province_id = \(tx.provinceID) AND phase_id = \(phase.id)
                """)
            phase.plan = plan
            try await AuditLog.record(
                tx, actor: caller.actor, action: "phase.plan", entityType: "phase", entityID: phase.code,
                before: before.map(Self.planJSON), after: Self.planJSON(plan))
            return phase
        }
    }

    static func planJSON(_ plan: PhasePlan) -> String {
        var object: [String: any Sendable] = ["number": plan.number, "date": plan.date.description, "issuer": plan.issuer]
        if let title = plan.title { object["title"] = title }
        return AuditLog.json(object)
    }

    /// The units valid at some time during the phase, with their Vietnamese sibling order.
    static func units(of phase: Phase, tx: TenantTransaction) async throws -> [TargetUnit] {
        try await tx.query(unitsQuery(of: phase, province: tx.provinceID), prepared: true).map(decodeUnit)
    }

    /// The units that exist during the phase, with their order among their siblings.
    static func unitsQuery(of phase: Phase, province: Int64) -> PostgresQuery {
        """
        SELECT unit_id, level, code, name, parent_id, valid_from, valid_to,
               row_number() OVER (PARTITION BY parent_id ORDER BY name, code) AS sort_key,
               coalesce(valid_to < current_date, false) AS ended
        FROM chitieu.admin_unit
        WHERE province_id = \(province) AND valid_from <= \(phase.end) AND (valid_to IS NULL OR valid_to >= \(phase.start))
        """
    }

    static func decodeUnit(_ row: PostgresRow) throws -> TargetUnit {
        TargetUnit(
            id: try row.decode(Int64.self, "unit_id"), level: UnitLevel(rawValue: try row.decode(String.self, "level")) ?? .commune,
            code: try row.decode(String.self, "code"), name: try row.decode(String.self, "name"),
            parentID: try row.decode(Int64?.self, "parent_id"), sortKey: try row.decode(Int.self, "sort_key"),
            validFrom: try row.decode(CalendarDate.self, "valid_from"), validTo: try row.decode(CalendarDate?.self, "valid_to"),
            ended: try row.decode(Bool.self, "ended"))
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
        let record = try await set(
            province: province, indicator: .code(indicatorCode), phaseCode: phaseCode, unit: unitCode.map(Reference.code), unitField: "unit",
            year: year, value: value, lock: lock, caller: caller)
        return TargetCell(unitID: record.unitID, year: year, value: value, origin: record.origin, locked: record.locked)
    }

    /// Sets a target cell named by ids, as the API does: the unit (the province's when nil)
    /// must be in the caller's scope (404 otherwise, also for another province's ids) and exist
    /// during the phase. `lock` nil keeps the cell's lock, and a locked cell is then refused
    /// (409): changing a locked value takes saying whether it stays locked.
    public func set(
        province: Int64, indicatorID: Int64, phaseCode: String, unitID: Int64?, year: Int?, value: Int, lock: Bool?, caller: Caller
    ) async throws -> TargetRecord {
        try await set(
            province: province, indicator: .id(indicatorID), phaseCode: phaseCode, unit: unitID.map(Reference.id), unitField: "unit_id",
            year: year, value: value, lock: lock, caller: caller)
    }

    /// Sets a target cell, its indicator and unit named by code or by id (`unitField` names the
    /// unit in errors).
    func set(
        province: Int64, indicator: Reference, phaseCode: String, unit: Reference?, unitField: String, year: Int?, value: Int, lock: Bool?,
        caller: Caller
    ) async throws -> TargetRecord {
        try Self.check(value: value)
        return try await database.withTenant(province) { tx in
            let cell = try await tx.resolve.cell(
                indicator: indicator, phase: phaseCode, year: year, unit: unit, unitField: unitField, caller: caller, action: .setTarget)
            return try await Self.write(
                indicator: cell.indicator, phase: cell.phase, unit: cell.unit, year: year, value: value, lock: lock, caller: caller, tx: tx)
        }
    }

    static func check(value: Int) throws {
        guard value >= 0 else { throw ChitieuError(.invalid, field: "value", .negative, ["value": .count(value)]) }
        guard value <= maximumValue else { throw ChitieuError(.invalid, field: "value", .aboveMaximum, ["value": .count(value), "maximum": .count(maximumValue)]) }
    }

    /// The largest target a cell holds.
    public static let maximumValue = TargetCell.maximumValue

    /// Writes one cell by hand with its audit event.
    static func write(
        indicator: Indicator, phase: Phase, unit: TargetUnit, year: Int?, value: Int, lock: Bool?, caller: Caller, tx: TenantTransaction
    ) async throws -> TargetRecord {
        if let error = unit.endedError("its targets") { throw error }
        let origin = unit.level == .province && year == nil ? "assigned" : "overridden"
        let before = try await tx.query(
            """
            SELECT value, origin, locked FROM chitieu.target
            WHERE province_id = \(tx.provinceID) AND indicator_id = \(indicator.id) AND unit_id = \(unit.id)
              AND phase_id = \(phase.id) AND year IS NOT DISTINCT FROM \(year.map { Int16($0) })
            FOR UPDATE
            """)
        let wasLocked = try before.first?.decode(Bool.self, "locked") ?? false
        if lock == nil && wasLocked {
            throw ChitieuError(.locked, field: "locked", .targetLocked)
        }
        let locked = lock ?? wasLocked
        let rows = try await tx.query(
            """
            INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin, locked, set_by)
            VALUES (\(tx.provinceID), \(indicator.id), \(unit.id), \(phase.id), \(year.map { Int16($0) }), \(value), \(origin), \(locked), \(caller.actor.accountID))
            ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO UPDATE
            SET value = excluded.value, origin = excluded.origin, locked = excluded.locked, set_by = excluded.set_by, set_at = excluded.set_at
            RETURNING target_id, set_at
            """)
        let beforeJSON = try before.first.map { row in
            AuditLog.json(["value": try row.decode(Int.self, "value"), "origin": try row.decode(String.self, "origin"), "locked": try row.decode(Bool.self, "locked")])
        }
        try await AuditLog.record(
            tx, actor: caller.actor, action: "target.set", entityType: "target",
            entityID: "\(indicator.draft.code)/\(phase.code)/\(unit.code)/\(year.map(String.init) ?? "phase")", unitID: unit.id,
            before: beforeJSON, after: AuditLog.json(["value": value, "origin": origin, "locked": locked]))
        return TargetRecord(
            id: try rows[0].decode(Int64.self, "target_id"), indicatorID: indicator.id, indicatorCode: indicator.draft.code, phase: phase.code,
            unitID: unit.id, unitCode: unit.code, unitName: unit.name, unitLevel: unit.level, parentID: unit.parentID, year: year,
            value: value, origin: origin, locked: locked, setAt: try rows[0].decode(Date.self, "set_at"))
    }

    /// What a listing of targets keeps: the phase, and optionally one indicator, a unit to
    /// start from (the caller's scope by default) with the levels below it, one year.
    public struct Filter: Sendable {
        public var phaseCode: String
        public var indicatorID: Int64?
        public var unitID: Int64?
        /// Levels below the start (0: the start units only).
        public var depth: Int
        /// One year of the phase; nil for every cell, the phase's and the years'.
        public var year: Int?
        public var limit: Int
        /// The id of the last target of the previous page.
        public var after: Int64?

        public init(phaseCode: String, indicatorID: Int64? = nil, unitID: Int64? = nil, depth: Int = 1, year: Int? = nil, limit: Int = 100, after: Int64? = nil) {
            self.phaseCode = phaseCode
            self.indicatorID = indicatorID
            self.unitID = unitID
            self.depth = depth
            self.year = year
            self.limit = limit
            self.after = after
        }
    }

    /// Target cells in the caller's scope, by indicator code, level, Vietnamese name and year
    /// (the phase's cell first), a page at a time.
    public func list(province: Int64, filter: Filter, caller: Caller) async throws -> [TargetRecord] {
        try Paging.check(limit: filter.limit)
        guard (0...3).contains(filter.depth) else { throw ChitieuError(.invalid, field: "depth", reason: "must be 0 to 3") }
        return try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(filter.phaseCode, year: filter.year)
            let roots = try await tx.resolve.scope(of: caller, from: filter.unitID.map(Reference.id))
            let scope = try await Access.scope(roots, depth: filter.depth, tx: tx)
            if let after = filter.after {
                try Paging.requireCursor(try await tx.query(
                    "SELECT 1 FROM chitieu.target WHERE province_id = \(province) AND target_id = \(after) AND phase_id = \(phase.id)", prepared: true))
            }
            let year = filter.year.map { Int16($0) }
            return try await tx.query(
                """
                WITH scope AS (
                    SELECT unnest(\(scope.ids)::bigint[]) AS unit_id
                ), cells AS (
                    SELECT t.target_id, t.indicator_id, i.code AS indicator_code, t.unit_id, u.code AS unit_code, u.name AS unit_name,
                           u.level, u.parent_id, t.year, t.value, t.origin, t.locked, t.set_at,
                           chitieu.level_rank(u.level) AS level_rank
                    FROM chitieu.target t
                    JOIN chitieu.indicator i ON i.province_id = t.province_id AND i.indicator_id = t.indicator_id
                    JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id
                    WHERE t.province_id = \(province) AND t.phase_id = \(phase.id) AND t.unit_id IN (SELECT unit_id FROM scope)
                      AND (\(filter.indicatorID)::bigint IS NULL OR t.indicator_id = \(filter.indicatorID))
                      AND (\(year)::smallint IS NULL OR t.year = \(year))
                )
                SELECT * FROM cells c
                WHERE \(filter.after)::bigint IS NULL
                   OR (c.indicator_code, c.level_rank, c.unit_name, c.unit_code, c.unit_id, coalesce(c.year, 0)) > (
                      SELECT k.indicator_code, k.level_rank, k.unit_name, k.unit_code, k.unit_id, coalesce(k.year, 0) FROM cells k
                      WHERE k.target_id = \(filter.after))
                ORDER BY c.indicator_code, c.level_rank, c.unit_name, c.unit_code, c.unit_id, coalesce(c.year, 0)
                LIMIT \(filter.limit)
                """
            ).map { row in
                TargetRecord(
                    id: try row.decode(Int64.self, "target_id"), indicatorID: try row.decode(Int64.self, "indicator_id"),
                    indicatorCode: try row.decode(String.self, "indicator_code"), phase: phase.code, unitID: try row.decode(Int64.self, "unit_id"),
                    unitCode: try row.decode(String.self, "unit_code"), unitName: try row.decode(String.self, "unit_name"),
                    unitLevel: UnitLevel(rawValue: try row.decode(String.self, "level")) ?? .commune, parentID: try row.decode(Int64?.self, "parent_id"),
                    year: try row.decode(Int16?.self, "year").map(Int.init), value: try row.decode(Int.self, "value"),
                    origin: try row.decode(String.self, "origin"), locked: try row.decode(Bool.self, "locked"), setAt: try row.decode(Date.self, "set_at"))
            }
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
            let indicator = try await tx.resolve.indicator(.code(indicatorCode))
            let phase = try await tx.resolve.phase(phaseCode)
            return Sheet(
                indicator: indicator, phase: phase, units: try await Self.units(of: phase, tx: tx),
                cells: try await Self.cells(indicator: indicator.id, phase: phase, tx: tx))
        }
    }
}

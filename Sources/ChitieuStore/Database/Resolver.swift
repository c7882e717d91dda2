public import ChitieuDomain
import Postgres

/// A thing of a province as a caller names it: by id (the API) or by code (the commands, files).
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    case code(String)

    public var description: String {
        switch self {
        case .id(let id): "id \(id)"
        case .code(let code): "code '\(code)'"
        }
    }
}

/// A unit as a caller names it.
public typealias UnitReference = Reference

/// Finds what a request names in the transaction's province — a phase, an indicator, a unit, a
/// caller's scope — by id or by code. Every store resolves its references here, so an unknown
/// reference gets one answer naming the field: an unknown id is not found (404, as another
/// province's ids are), an unknown code is invalid (422).
public struct Resolver: Sendable {
    let tx: TenantTransaction

    /// The phase with a code, locked `FOR UPDATE` if asked.
    public func phase(_ code: String, field: String = "phase", lock: Bool = false) async throws -> Phase {
        let forUpdate: StaticString = lock ? "FOR UPDATE" : ""
        let rows = try await tx.query(
            """
            SELECT phase_id, code, first_year, last_year, plan_number, plan_date, plan_issuer, plan_title
            FROM chitieu.phase WHERE province_id = \(tx.provinceID) AND code = \(code) \(sql: forUpdate)
            """)
        guard let row = rows.first else {
            let known = try await tx.query("SELECT code FROM chitieu.phase WHERE province_id = \(tx.provinceID) ORDER BY code")
                .map { try $0.decode(String.self, at: 0) }
            throw ChitieuError.unknownPhase(field, code: code, known: known)
        }
        var plan: PhasePlan?
        if let number = try row.decode(String?.self, "plan_number"), let date = try row.decode(CalendarDate?.self, "plan_date"),
           let issuer = try row.decode(String?.self, "plan_issuer") {
            plan = PhasePlan(number: number, date: date, issuer: issuer, title: try row.decode(String?.self, "plan_title"))
        }
        return Phase(
            id: try row.decode(Int64.self, "phase_id"), code: try row.decode(String.self, "code"),
            firstYear: Int(try row.decode(Int16.self, "first_year")), lastYear: Int(try row.decode(Int16.self, "last_year")), plan: plan)
    }

    /// The phase with a code, and `year` (if any) one of its years.
    public func phase(_ code: String, year: Int?) async throws -> Phase {
        let phase = try await self.phase(code)
        if let year, !phase.years.contains(year) { throw ChitieuError.outsidePhase(year: year, phase: phase.code) }
        return phase
    }

    /// The indicator with an id or a code.
    public func indicator(_ reference: Reference, field: String = "indicator") async throws -> Indicator {
        let rows: PostgresRows
        switch reference {
        case .id(let id):
            rows = try await tx.query(
                "SELECT \(sql: IndicatorStore.columns) FROM chitieu.indicator WHERE province_id = \(tx.provinceID) AND indicator_id = \(id)",
                prepared: true)
        case .code(let code):
            rows = try await tx.query(
                "SELECT \(sql: IndicatorStore.columns) FROM chitieu.indicator WHERE province_id = \(tx.provinceID) AND code = \(code)",
                prepared: true)
        }
        guard let row = rows.first else {
            switch reference {
            case .id: throw ChitieuError.notFound("the indicator")
            case .code(let code): throw ChitieuError.unknownIndicator(field, code: code)
            }
        }
        return try IndicatorStore.decode(row)
    }

    /// The unit with an id, or the unit valid on `day` (today when nil) with a code.
    public func unit(_ reference: Reference, field: String, on day: CalendarDate? = nil) async throws -> FoundUnit {
        let rows: PostgresRows
        switch reference {
        case .id(let id):
            rows = try await tx.query(
                "SELECT \(sql: FoundUnit.columns) FROM chitieu.admin_unit WHERE province_id = \(tx.provinceID) AND unit_id = \(id)", prepared: true)
        case .code(let code):
            rows = try await tx.query(
                """
                SELECT \(sql: FoundUnit.columns) FROM chitieu.admin_unit
                WHERE province_id = \(tx.provinceID) AND code = \(code) AND valid_from <= coalesce(\(day), current_date)
                  AND (valid_to IS NULL OR valid_to >= coalesce(\(day), current_date))
                """, prepared: true)
        }
        guard let row = rows.first else {
            switch reference {
            case .id: throw ChitieuError.notFound("the unit")
            case .code(let code):
                guard let day else { throw ChitieuError(.invalid, field: field, reason: "the province has no current unit with the \(reference)") }
                throw ChitieuError(.invalid, field: field, .unknownUnitOn, ["code": .text(code), "date": .date(day)])
            }
        }
        return try FoundUnit(row)
    }

    /// The unit a target or a rule of the phase is set on: by code, the one of the phase's units
    /// that carries it (the one that has not ended, when two did); by id, one of them; nil, the
    /// province's own unit of the phase.
    public func unit(_ reference: Reference?, among units: [TargetUnit], phase: Phase, field: String = "unit") throws -> TargetUnit {
        switch reference {
        case nil:
            guard let root = TargetUnit.root(of: units) else { throw ChitieuError(.invalid, field: field, .noProvinceUnit) }
            return root
        case .id(let id)?:
            guard let unit = units.first(where: { $0.id == id }) else { throw ChitieuError.unitOutsidePhase(field, unit: id, phase: phase.code) }
            return unit
        case .code(let code)?:
            var matches = units.filter { $0.code == code }
            if matches.count > 1 { matches = matches.filter { !$0.ended } }
            guard let unit = matches.first else { throw ChitieuError.unknownUnit(field, code: code) }
            guard matches.count == 1 else {
                throw ChitieuError(.invalid, field: field, .ambiguousUnit, ["code": .text(code), "count": .count(matches.count)])
            }
            return unit
        }
    }

    /// The units a caller reads from: the unit named (which the caller may read; by code, the
    /// one valid on `day`, today when nil), or the tops of the caller's own scope.
    public func scope(of caller: Caller, from unit: Reference?, field: String = "unit", on day: CalendarDate? = nil) async throws -> [Int64] {
        let start: Int64? =
            switch unit {
            case nil: nil
            // The policy's check answers 404 for an id out of scope or of no unit.
            case .id(let id)?: id
            case .code?: try await self.unit(unit!, field: field, on: day).id
            }
        return try await Access.scopeRoots(caller, unit: start, tx: tx)
    }

    /// What a target or an allocation rule is set on, each named by id or by code: the indicator,
    /// the phase (and `year` one of its years), the phase's units and the unit (the province's own
    /// when nil), which the caller may `action`.
    public func cell(
        indicator: Reference, phase code: String, year: Int? = nil, unit: Reference?, unitField: String, caller: Caller, action: Action
    ) async throws -> PlannedCell {
        let indicator = try await self.indicator(indicator)
        let phase = try await self.phase(code, year: year)
        let units = try await TargetStore.units(of: phase, tx: tx)
        let found: TargetUnit
        if case .id(let id) = unit {
            // Out of scope is 404 before "not during the phase" says the id exists.
            try await Access.require(caller, action, unit: id, tx: tx)
            found = try self.unit(unit, among: units, phase: phase, field: unitField)
        } else {
            found = try self.unit(unit, among: units, phase: phase, field: unitField)
            try await Access.require(caller, action, unit: found.id, tx: tx)
        }
        return PlannedCell(indicator: indicator, phase: phase, units: units, unit: found)
    }
}

/// The indicator, phase and unit a target or an allocation rule is set on, with the phase's units.
public struct PlannedCell: Sendable {
    public var indicator: Indicator
    public var phase: Phase
    public var units: [TargetUnit]
    public var unit: TargetUnit
}

extension TenantTransaction {
    /// Finds the phases, indicators, units and scopes this transaction's requests name.
    public var resolve: Resolver { Resolver(tx: self) }
}

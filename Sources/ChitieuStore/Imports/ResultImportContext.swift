import ChitieuDomain
import Foundation
import Postgres

/// What checking a file of results needs from the database, read for all its rows at once: the
/// units its codes name with their paths, the indicators' rules, the deadlines and the phases.
struct ResultImportContext {
    /// Units by code (a code reused after the 2025 reform names several).
    var units: [String: [FoundUnit]]
    var paths: [Int64: [Int64]]
    var indicators: [String: (id: Int64, rules: ResultRules.IndicatorRules)]
    var today: CalendarDate
    var deadlines: ResultStore.Deadlines
    var phases: ResultStore.Phases

    /// The context of the rows, in two round trips.
    static func read(_ rows: [ResultImportRow], province: Int64, tx: TenantTransaction) async throws -> ResultImportContext {
        let unitCodes = Array(Set(rows.map(\.unitCode)))
        let indicatorCodes = Array(Set(rows.map(\.indicatorCode)))
        let statements: [PostgresQuery] = [
                "SELECT \(sql: FoundUnit.columns) FROM chitieu.admin_unit WHERE province_id = \(province) AND code = ANY(\(unitCodes)::text[])",
                """
                SELECT i.indicator_id, i.code AS indicator_code, \(sql: ResultStore.ruleColumns)
                FROM chitieu.indicator i WHERE i.province_id = \(province) AND i.code = ANY(\(indicatorCodes)::text[])
                """,
                "SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
            ] + ResultStore.deadlineStatements(province: province) + [ResultStore.phasesStatement(province: province)]
        let first = try await tx.connection.pipeline(statements.map { ($0, true) })
        var units: [String: [FoundUnit]] = [:]
        for row in first[0] {
            let unit = try FoundUnit(row)
            units[unit.code, default: []].append(unit)
        }
        var indicators: [String: (id: Int64, rules: ResultRules.IndicatorRules)] = [:]
        for row in first[1] {
            indicators[try row.decode(String.self, "indicator_code")] = (try row.decode(Int64.self, "indicator_id"), try ResultStore.rules(row).rules)
        }
        let ids = units.values.flatMap { $0.map(\.id) }
        return ResultImportContext(
            units: units, paths: try await ImportStore.paths(of: ids, tx: tx), indicators: indicators,
            today: try first[2][0].decode(CalendarDate.self, at: 0), deadlines: try ResultStore.Deadlines(closing: first[3], reopened: first[4]),
            phases: try ResultStore.Phases(first[5]))
    }

    /// The unit a code names for a period: the one that exists on its last day, else on its
    /// first, else the latest (whose validity the rules then refuse, naming it).
    func unit(_ code: String, for period: ReportingPeriod) -> FoundUnit? {
        guard let candidates = units[code] else { return nil }
        func covers(_ unit: FoundUnit, _ day: CalendarDate) -> Bool { unit.validFrom <= day && (unit.validTo.map { day <= $0 } ?? true) }
        return candidates.first { covers($0, period.end) } ?? candidates.first { covers($0, period.start) }
            ?? candidates.max { $0.validFrom < $1.validFrom }
    }

    /// A row checked as `ResultStore.create` checks a submission: the unit (unknown codes, and
    /// every code of another province, are refused), the caller's right to submit for it, the
    /// indicator, and the rules of the indicator and of the unit's validity. The deadline comes
    /// after the check for rows recorded before.
    func check(_ row: ResultImportRow, caller: Caller, province: Int64) throws -> ImportStore.CheckedResult {
        guard let unit = unit(row.unitCode, for: row.period), let path = paths[unit.id] else {
            throw ChitieuError.unknownUnit(ImportColumn.unitCode.key, code: row.unitCode)
        }
        try Access.check(
            Policy.decide(caller.principal, .submitResult, .unit(province, path: path)), action: .submitResult, what: "the unit")
        guard let indicator = indicators[row.indicatorCode] else {
            throw ChitieuError.unknownIndicator(ImportColumn.indicatorCode.key, code: row.indicatorCode)
        }
        let input = ResultInput(
            indicatorID: indicator.id, unit: .id(unit.id), periodStart: PostgresDate(row.period.start), periodEnd: PostgresDate(row.period.end),
            figures: row.figures)
        _ = try ResultStore.validate(input, unit: unit, rules: indicator.rules, today: today)
        // The key is the row's content: the same file imported as drafts, then submitted, records nothing new.
        let fingerprint = ResultStore.fingerprint(input, unitID: unit.id, submit: false)
        return ImportStore.CheckedResult(
            source: row, input: input, unit: unit, rules: indicator.rules, path: path, key: ImportStore.key(fingerprint), fingerprint: fingerprint)
    }
}

extension ImportStore {
    /// The paths of units (the province's unit first), by unit, read by `chitieu.unit_path`.
    static func paths(of ids: [Int64], tx: TenantTransaction) async throws -> [Int64: [Int64]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query(
            "SELECT t.unit_id, chitieu.unit_path(\(tx.provinceID), t.unit_id) FROM unnest(\(ids)::bigint[]) AS t(unit_id)")
        var paths: [Int64: [Int64]] = [:]
        for row in rows {
            if let path = try row.decode([Int64]?.self, at: 1), !path.isEmpty { paths[try row.decode(Int64.self, at: 0)] = path }
        }
        return paths
    }
}

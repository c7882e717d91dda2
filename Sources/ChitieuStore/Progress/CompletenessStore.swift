public import ChitieuDomain
import Foundation
import Postgres

/// Reporting completeness (which units have reported each indicator in a period), read from the
/// `reporting.completeness` views for the caller's scope, so that tools reading the views and
/// the API see the same numbers.
public struct CompletenessStore: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// Completeness of `period` (a year of the phase, or a half, quarter or month of it) under
    /// `unit`, or under the caller's grant units: every unit of that scope valid in the period with
    /// its indicators' states counted, and the indicators of the top units one by one.
    public func report(province: Int64, phaseCode: String, period: ReportingPeriod, unit: UnitReference?, caller: Caller) async throws -> CompletenessReport {
        try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(phaseCode, year: period.year)
            let roots = try await tx.resolve.scope(of: caller, from: unit, field: "unit_id")
            let inScope = try await Access.scope(roots, tx: tx).ids
            let scope = try await tx.query(
                """
                SELECT u.unit_id, u.level, u.code, u.name, u.parent_id
                FROM chitieu.admin_unit u
                WHERE u.province_id = \(province) AND u.unit_id = ANY(\(inScope)::bigint[])
                  AND u.valid_from <= \(period.end) AND (u.valid_to IS NULL OR u.valid_to >= \(period.start))
                ORDER BY chitieu.level_rank(u.level), u.name, u.code
                """, prepared: true)
            let ids = try scope.map { try $0.decode(Int64.self, at: 0) }
            var figures: [Int64: (CompletenessCounts, CalendarDate, Int)] = [:]
            for row in try await tx.query(
                """
                SELECT unit_id, indicators, approved, submitted, returned, draft, nothing, closes_on, days_left
                FROM reporting.completeness_unit
                WHERE province_id = \(province) AND phase = \(phase.code) AND year = \(Int16(period.year)) AND period = \(period.code)
                  AND unit_id = ANY(\(ids)::bigint[])
                """, prepared: true)
            {
                let counts = CompletenessCounts(
                    indicators: try row.decode(Int.self, at: 1), approved: try row.decode(Int.self, at: 2), submitted: try row.decode(Int.self, at: 3),
                    returned: try row.decode(Int.self, at: 4), draft: try row.decode(Int.self, at: 5), nothing: try row.decode(Int.self, at: 6))
                figures[try row.decode(Int64.self, at: 0)] = (counts, try row.decode(CalendarDate.self, at: 7), try row.decode(Int.self, at: 8))
            }
            let units = try scope.map { row in
                let id = try row.decode(Int64.self, at: 0)
                let found = figures[id]
                return CompletenessUnit(
                    unitID: id, level: UnitLevel(rawValue: try row.decode(String.self, at: 1)) ?? .commune, code: try row.decode(String.self, at: 2),
                    name: try row.decode(String.self, at: 3), parentID: try row.decode(Int64?.self, at: 4), counts: found?.0 ?? CompletenessCounts(),
                    closesOn: found?.1, daysLeft: found?.2)
            }
            let cells = try await tx.query(
                """
                SELECT unit_id, indicator_id, indicator_code, indicator_name, state, results
                FROM reporting.completeness
                WHERE province_id = \(province) AND phase = \(phase.code) AND year = \(Int16(period.year)) AND period = \(period.code)
                  AND unit_id = ANY(\(roots)::bigint[])
                ORDER BY unit_id, indicator_code
                """, prepared: true
            ).map { row in
                CompletenessCell(
                    unitID: try row.decode(Int64.self, at: 0), indicatorID: try row.decode(Int64.self, at: 1), indicatorCode: try row.decode(String.self, at: 2),
                    indicatorName: try row.decode(String.self, at: 3), state: ReportingState(rawValue: try row.decode(String.self, at: 4)) ?? .none,
                    results: try row.decode(Int.self, at: 5))
            }
            return CompletenessReport(phase: phase.code, period: period, roots: roots, units: units, cells: cells)
        }
    }
}

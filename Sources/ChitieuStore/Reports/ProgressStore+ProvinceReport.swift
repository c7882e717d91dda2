public import ChitieuDomain
import Foundation
import Postgres

extension ProgressStore {
    /// The province's report of a phase (or one year of it) for the caller's scope: the same
    /// figures `figures(…)` gives the dashboard and the export (depth 3: down to the communes
    /// and their villages), the phase's plan, the indicators' reporting levels and the
    /// province's name. Anyone of the province may read it, over their own scope only; an
    /// unknown phase or a year outside it is refused naming the field. `date`: the report's day
    /// (default: today in Vietnam).
    public func provinceReport(
        province: Int64, phaseCode: String, year: Int?, caller: Caller, date: CalendarDate? = nil
    ) async throws -> ProvinceReport {
        let (phase, name) = try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, what: "the province", tx: tx)
            let phase = try await tx.resolve.phase(phaseCode, year: year)
            let name = try await tx.query("SELECT name FROM chitieu.province WHERE province_id = \(province)", prepared: true)
                .first?.decode(String.self, at: 0)
            return (phase, name ?? "")
        }
        let indicators = try await IndicatorStore(database: database).list(province: province)
        let figures = try await figures(province: province, phaseCode: phase.code, year: year, unit: nil, depth: 3, caller: caller)
        return ProvinceReport(
            provinceName: name, phase: phase.code, year: year, plan: phase.plan, date: date ?? CalendarDate(PostgresDate.today), figures: figures,
            reportingLevels: Dictionary(indicators.map { ($0.draft.code, $0.draft.reportingLevels) }, uniquingKeysWith: { a, _ in a }),
            suspendedFrom: Dictionary(
                indicators.compactMap { i in i.suspendedFrom.map { (i.draft.code, CalendarDate($0)) } }, uniquingKeysWith: { a, _ in a }))
    }
}

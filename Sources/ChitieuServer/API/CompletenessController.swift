import ChitieuDomain
import ChitieuStore
import Hummingbird

/// `/v1/completeness`: which units of my scope have reported each indicator in a period.
struct CompletenessController {
    let completeness: CompletenessStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.json(.get, "completeness") { call in
            let query = call.query
            let period = try Self.period(query)
            let unit = try query.integer("unit_id", in: Int64.min...Int64.max).map { UnitReference.id($0) }
            let report = try await completeness.report(
                province: call.province, phaseCode: try PlanningController.phase(query), period: period, unit: unit, caller: call.caller)
            return Representation.completeness(report)
        }
    }

    /// `year` (required) and `period` (a half, quarter or month of that year; the year when absent).
    static func period(_ query: QueryInput) throws -> ReportingPeriod {
        guard let year = try query.integer("year", in: 2000...2100) else { throw BodyError.invalid("year", "is required, e.g. 2025") }
        guard let code = try query.string("period", maxBytes: 20) else { return .year(Int(year)) }
        guard let period = ReportingPeriod(code: code) else {
            throw BodyError.invalid("period", "'\(code.prefix(20))' is not a period such as \(year), \(year)-H1, \(year)-Q3 or \(year)-07")
        }
        guard period.year == year else { throw BodyError.invalid("period", "\(code) is not a period of \(year)") }
        return period
    }
}

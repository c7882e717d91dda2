import ChitieuDomain
import Testing

@Suite("What a result must satisfy, and who approves and corrects it, without a database")
struct ResultValidationTests {
    let teams = ResultRules.IndicatorRules(
        code: "DA8-01", reportingLevels: ["commune"], disaggregation: nil, companionMeasure: nil,
        suspendedFrom: CalendarDate(year: 2025, month: 7, day: 1), companionDisaggregation: nil)
    let commune = FoundUnit(
        id: 7, level: .commune, code: "02716", name: "Xã Sơn Hải", validFrom: CalendarDate(year: 2008, month: 1, day: 1),
        validTo: CalendarDate(year: 2025, month: 6, day: 30), ended: false)
    let today = CalendarDate(year: 2025, month: 6, day: 1)

    func refusal(_ start: String, _ end: String, value: Int = 3, unit: FoundUnit? = nil) -> ResultRules.Refusal? {
        ResultRules.refusal(
            start: CalendarDate(iso: start)!, end: CalendarDate(iso: end)!, figures: ResultFigures(value: value), unit: unit ?? commune,
            indicator: teams, today: today)
    }

    @Test func aResultNamesTheFieldThatBreaksARule() {
        #expect(refusal("2025-01-01", "2025-03-31") == nil)
        var district = commune
        district.level = .district
        #expect(refusal("2025-01-01", "2025-03-31", unit: district) == .input(field: "unit_id", reason: "DA8-01 is reported by commune units, not by a district"))
        #expect(refusal("2025-04-01", "2025-03-31") == .input(field: "period_end", reason: "is before period_start"))
        #expect(refusal("2024-12-01", "2025-01-31") == .input(field: "period_end", reason: "a period lies within one year (2024); report each year apart"))
        #expect(refusal("2025-06-01", "2025-06-02") == .input(field: "period_end", reason: "2025-06-02 is in the future"))
        #expect(refusal("2025-01-01", "2025-03-31", value: -1) == .input(field: "value", reason: "must be a whole number from 0 to 10000000"))
        #expect(refusal("1999-01-01", "1999-03-31") == .input(field: "period_start", reason: "is before 2000"))
        #expect(refusal("2025-07-01", "2025-07-31") == .input(field: "indicator_id", reason: "DA8-01 is suspended from 2025-07-01; results after that date are not taken"))
    }

    @Test func aPeriodLiesWithinTheUnitsLifeAndAnEndedUnitsResultsAreHistory() {
        var young = commune
        young.validFrom = CalendarDate(year: 2025, month: 2, day: 1)
        #expect(refusal("2025-01-01", "2025-03-31", unit: young)
            == .input(field: "period_start", reason: "02716 Xã Sơn Hải exists from 2025-02-01; report earlier periods on the units of that time"))
        var ending = commune
        ending.validTo = CalendarDate(year: 2025, month: 3, day: 1)
        #expect(refusal("2025-01-01", "2025-03-31", unit: ending)
            == .input(field: "period_end", reason: "02716 Xã Sơn Hải ended on 2025-03-01; report later periods on the units that succeeded it"))
        ending.ended = true
        #expect(refusal("2025-01-01", "2025-02-28", unit: ending)
            == .conflict(field: "unit_id", reason: "02716 Xã Sơn Hải ended on 2025-03-01; its results are history and read only"))
    }

    @Test func theNearestDecidingLevelAboveApprovesAndThatLevelOrOneAboveCorrects() {
        // province 1 → district 10 → commune 101
        let district = Principal(provinceID: 7, grants: [RoleAssignment(role: .district, unitID: 10)])
        let province = Principal(provinceID: 7, grants: [RoleAssignment(role: .province, unitID: 1)])
        #expect(ResultRules.approvingUnit(of: district, path: [1, 10, 101]) == 10)
        #expect(ResultRules.approvingUnit(of: province, path: [1, 10, 101]) == 1)
        #expect(ResultRules.approvingUnit(of: district, path: [1, 10]) == nil, "not its own unit's results")
        #expect(ResultRules.correctionRefusal(province, approvedAt: [1, 10]) == nil)
        #expect(ResultRules.correctionRefusal(district, approvedAt: [1, 10]) == nil)
        #expect(ResultRules.correctionRefusal(district, approvedAt: [1])
            == "this result was approved above your level; that level or one above it corrects it")
        #expect(ResultRules.approvingUnit(of: .operator, path: [1, 10, 101]) == nil && ResultRules.correctionRefusal(.operator, approvedAt: [1]) == nil)
    }
}

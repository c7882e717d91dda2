import ChitieuDomain
import Testing

@Suite("Allocation rules: their method and their checks, without a database")
struct AllocationRuleTests {
    @Test func aRuleNamesTheFieldItBreaks() {
        #expect(AllocationRule().method == .equal && AllocationRule().problem == nil)
        #expect(AllocationRule(childMethod: "random").method == nil)
        #expect(AllocationRule(childMethod: "random").problem! == ("method", "'random' is not one of equal, weighted, manual"))
        #expect(AllocationRule(childMethod: "weighted").problem! == ("weights", "a weighted rule needs explicit weights or a unit attribute"))
        #expect(AllocationRule(childMethod: "weighted", weightAttribute: "population").problem == nil)
        #expect(AllocationRule(minimumPerChild: -1).problem?.field == "minimum")
        #expect(AllocationRule(yearWeights: [1, 2, 3, 4, AllocationRule.maximumYearShare + 1]).problem?.field == "years")
    }

    @Test func aYearProfileFitsThePhaseAndSitsOnTheProvinceAndWeightsNameChildren() {
        let day = CalendarDate(year: 2021, month: 1, day: 1)
        let phase = Phase(id: 1, code: "2021-2025", firstYear: 2021, lastYear: 2025)
        let province = TargetUnit(id: 1, level: .province, code: "10", name: "Tỉnh", parentID: nil, sortKey: 1, validFrom: day, validTo: nil)
        let district = TargetUnit(id: 2, level: .district, code: "080", name: "Huyện", parentID: 1, sortKey: 1, validFrom: day, validTo: nil)
        let units = [province, district]
        #expect(AllocationRule(yearWeights: [1, 1, 1, 1, 1]).problem(at: province, phase: phase, units: units) == nil)
        #expect(AllocationRule(yearWeights: [1, 1]).problem(at: province, phase: phase, units: units)?.field == "years")
        #expect(AllocationRule(yearWeights: [1, 1, 1, 1, 1]).problem(at: district, phase: phase, units: units)?.reason.hasPrefix("a year profile is set on the province's rule only") == true)
        #expect(AllocationRule(childMethod: "weighted", childWeights: ["080": 1]).problem(at: province, phase: phase, units: units) == nil)
        #expect(AllocationRule(childMethod: "weighted", childWeights: ["081": 1]).problem(at: province, phase: phase, units: units)!
            == ("weights", "'081' is not a unit directly below 10 Tỉnh"))
    }
}

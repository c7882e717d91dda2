import ChitieuDomain
import Testing

@Suite("An ended unit is read only")
struct EndedUnitTests {
    @Test func anEndedUnitsTargetsRulesAndResultsAreRefusedNamingTheDay() {
        var unit = TargetUnit(
            id: 7, level: .commune, code: "02716", name: "Xã Sơn Hải", parentID: 2, sortKey: 1,
            validFrom: CalendarDate(year: 2008, month: 1, day: 1), validTo: CalendarDate(year: 2025, month: 6, day: 30))
        #expect(unit.endedRefusal("its targets") == nil, "valid to a day not yet past")
        unit.ended = true
        #expect(unit.endedRefusal("its targets") == "02716 Xã Sơn Hải ended on 2025-06-30; its targets are history and read only")
        #expect(EndedUnit.refusal(unit: "Tỉnh Yên Bái", ended: true, validTo: unit.validTo, what: "its results")
            == "Tỉnh Yên Bái ended on 2025-06-30; its results are history and read only")
        #expect(EndedUnit.refusal(unit: "Tỉnh Yên Bái", ended: true, validTo: nil, what: "its results") == nil)
    }
}

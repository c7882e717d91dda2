import ChitieuDomain
import Testing

@Suite("The plan that set a phase's targets, without a database")
struct PhasePlanTests {
    static let citation = "Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai"

    @Test func aPlanIsCitedAsOfficersWriteItAndBadPartsAreNamed() {
        let plan = PhasePlan(number: " 355/KH-UBND ", date: CalendarDate(year: 2022, month: 10, day: 24), issuer: "UBND tỉnh Lào Cai", title: " ")
        #expect(plan.citation == Self.citation)
        #expect(plan.title == nil && plan.problem == nil)
        #expect(CalendarDate(year: 2021, month: 1, day: 5).dayMonthYear == "05/01/2021")
        let day = CalendarDate(year: 2022, month: 10, day: 24)
        #expect(PhasePlan(number: "", date: day, issuer: "UBND").problem?.field == "number")
        #expect(PhasePlan(number: "1", date: CalendarDate(year: 1899, month: 1, day: 1), issuer: "UBND").problem?.field == "date")
        #expect(PhasePlan(number: "1", date: day, issuer: "UBND\u{7}").problem?.field == "issuer")
        #expect(PhasePlan(number: "1", date: day, issuer: "UBND", title: String(repeating: "x", count: 501)).problem?.field == "title")
    }
}

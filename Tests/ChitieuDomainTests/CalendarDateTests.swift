import ChitieuDomain
import Testing

@Suite("Calendar days: ISO and dd/mm/yyyy, order, the day before")
struct CalendarDateTests {
    @Test func daysAreReadAndWrittenInBothForms() {
        let day = CalendarDate(year: 2022, month: 10, day: 24)
        #expect(CalendarDate(iso: "2022-10-24") == day && day.description == "2022-10-24")
        #expect(CalendarDate(dayMonthYear: "24/10/2022") == day && day.dayMonthYear == "24/10/2022")
        #expect(CalendarDate(year: 2021, month: 1, day: 5).dayMonthYear == "05/01/2021")
        for bad in ["2022-02-29", "2022-13-01", "2022-1-01", "22-10-24", "2022-10-24 ", "+022-10-24"] { #expect(CalendarDate(iso: bad) == nil, "\(bad)") }
        for bad in ["29/02/2023", "24/10/22", "2022-10-24", "1/10/2022"] { #expect(CalendarDate(dayMonthYear: bad) == nil, "\(bad)") }
        #expect(CalendarDate(iso: "2024-02-29") != nil)
    }

    @Test func daysAreOrderedAndTheDayBeforeCrossesMonthsAndYears() {
        #expect(CalendarDate(year: 2021, month: 12, day: 31) < CalendarDate(year: 2022, month: 1, day: 1))
        #expect(CalendarDate(year: 2024, month: 3, day: 1).dayBefore == CalendarDate(year: 2024, month: 2, day: 29))
        #expect(CalendarDate(year: 2025, month: 1, day: 1).dayBefore == CalendarDate(year: 2024, month: 12, day: 31))
    }
}

import ChitieuDomain
import Testing

@Suite("Reporting periods and completeness counts, without a database")
struct CompletenessDomainTests {
    @Test func periodsHaveCodesDaysAndVietnameseNames() throws {
        let q3 = try #require(ReportingPeriod(code: "2025-Q3"))
        #expect(q3.start == CalendarDate(year: 2025, month: 7, day: 1) && q3.end == CalendarDate(year: 2025, month: 9, day: 30) && q3.label == "Quý III/2025")
        #expect(ReportingPeriod(code: "2024-02")?.end == CalendarDate(year: 2024, month: 2, day: 29))
        #expect(ReportingPeriod(code: "2025-H2")?.label == "6 tháng cuối năm 2025")
        #expect(ReportingPeriod(code: "2025")?.kind == .year && ReportingPeriod(code: "2025")?.label == "Năm 2025")
        #expect(ReportingPeriod(code: "2025-07")?.code == "2025-07" && ReportingPeriod(code: "2025-07")?.label == "Tháng 7/2025")
        for bad in ["", "2025-Q5", "2025-H3", "2025-13", "2025-00", "25-Q1", "2025-q1", "2025-7", "1999", "2025-Q1-1", "２０２５"] {
            #expect(ReportingPeriod(code: bad) == nil, "\(bad)")
        }
        let all = ReportingPeriod.all(of: 2025)
        #expect(all.count == 19 && Set(all.map(\.code)).count == 19 && all.allSatisfy { ReportingPeriod(code: $0.code) == $0 })
        #expect(ReportingPeriod.exactly(CalendarDate(year: 2025, month: 10, day: 1), CalendarDate(year: 2025, month: 12, day: 31))?.code == "2025-Q4")
        #expect(ReportingPeriod.exactly(CalendarDate(year: 2025, month: 10, day: 2), CalendarDate(year: 2025, month: 12, day: 31)) == nil)
    }

    @Test func countsRollUpByLevelAndSubtree() {
        func unit(_ id: Int64, _ level: UnitLevel, parent: Int64?, _ states: [ReportingState]) -> CompletenessUnit {
            var counts = CompletenessCounts()
            for s in states { counts.add(s) }
            return CompletenessUnit(
                unitID: id, level: level, code: "\(id)", name: "Đơn vị \(id)", parentID: parent, counts: counts,
                closesOn: states.isEmpty ? nil : CalendarDate(year: 2026, month: 1, day: 25), daysLeft: states.isEmpty ? nil : 10)
        }
        let report = CompletenessReport(
            phase: "2021-2025", period: .year(2025), roots: [1],
            units: [
                unit(1, .province, parent: nil, []), unit(2, .district, parent: 1, []), unit(3, .district, parent: 1, []),
                unit(4, .commune, parent: 2, [.approved, .none]), unit(5, .commune, parent: 2, [.draft, .returned]),
                unit(6, .commune, parent: 3, [.submitted, .submitted]),
            ],
            cells: [])
        #expect(report.levels.map(\.level) == [.commune], "levels without a unit that reports are left out")
        let communes = report.levels[0]
        #expect(communes.units == 3 && communes.unitsWithoutReports == 1 && communes.counts.indicators == 6 && communes.counts.reported == 3)
        #expect(communes.counts.reportedPercent == 50)
        #expect(report.unitsWithoutReports.map(\.unitID) == [5])
        let children = report.children(of: 1)
        #expect(children.map(\.unit.unitID) == [2, 3])
        #expect(children[0].subtree.indicators == 4 && children[0].units == 2 && children[0].unitsWithoutReports == 1)
        #expect(children[1].subtree.reportedPercent == 100)
        #expect(report.closesOn == CalendarDate(year: 2026, month: 1, day: 25) && report.daysLeft == 10)
        var third = CompletenessCounts()
        for s: ReportingState in [.approved, .none, .none] { third.add(s) }
        #expect(third.reportedPercent == 33.3)
        #expect(ReportingState.approved > .submitted && ReportingState.submitted > .returned && ReportingState.returned > .draft && ReportingState.draft > ReportingState.none)
    }
}

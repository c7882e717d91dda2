import ChitieuDomain
import ChitieuStore
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Reporting completeness: the views, the store and the caller's scope")
struct CompletenessTests {
    /// The access world with, in province 10, a flow indicator beside the stock one, a suspended
    /// one (left out), a district-level one, and 2025 results in every state at communes of both
    /// districts, some within the first quarter and some over the year.
    func world() async throws -> (AccessWorld, [Int64]) {
        let world = try await AccessWorld.make()
        let indicators = IndicatorStore(database: world.app)
        let flow = try await indicators.add(
            IndicatorDraft(code: "DA8-02", name: "Câu lạc bộ thủ lĩnh của sự thay đổi", measureUnit: "câu lạc bộ", kind: .flow), province: world.a.id,
            caller: .command("test"))
        _ = try await indicators.add(
            IndicatorDraft(code: "DA8-10", name: "Tổ tiết kiệm và vay vốn", measureUnit: "tổ", kind: .stock), province: world.a.id, caller: .command("test"))
        _ = try await indicators.suspend(
            code: "DA8-10", from: PostgresDate(year: 2024, month: 1, day: 1), reason: "Dừng theo chỉ đạo của Trung ương", province: world.a.id,
            caller: .command("test"))
        _ = try await indicators.add(
            IndicatorDraft(code: "DA8-03", name: "Lớp tập huấn giám sát", measureUnit: "lớp", kind: .flow, reportingLevels: [.district]),
            province: world.a.id, caller: .command("test"))
        let su = try await world.db.superuserConnection()
        let p = world.a.id
        // Communes of both districts: some with nothing, some with results in each state.
        try await su.query(
            """
            WITH c AS (
                SELECT unit_id, row_number() OVER (ORDER BY parent_id, code) AS n FROM chitieu.admin_unit
                WHERE province_id = \(p) AND level = 'commune' AND parent_id IN (\(world.unitsA.district), \(world.unitsA.otherDistrict))
            )
            INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state)
            SELECT \(p), i.indicator_id, c.unit_id, s.period_start, s.period_end, 1, s.state
            FROM c JOIN chitieu.indicator i ON i.province_id = \(p) AND i.code IN ('DA8-01', 'DA8-02')
            JOIN (VALUES (0, 'approved', '2025-01-01'::date, '2025-03-31'::date), (0, 'draft', '2025-04-01', '2025-06-30'),
                         (1, 'submitted', '2025-01-01', '2025-12-31'), (2, 'returned', '2025-02-01', '2025-02-28'),
                         (3, 'draft', '2025-01-01', '2025-03-31'), (4, 'approved', '2024-01-01', '2024-12-31'))
                 AS s (k, state, period_start, period_end) ON c.n % 6 = s.k AND (s.k <> 1 OR i.code = 'DA8-02')
            """)
        await su.close()
        return (world, [world.indicators[0], flow.id])
    }

    /// The same counts, written straight from the results table: per commune, for each active
    /// indicator its level reports, the most advanced state of its results within the period.
    func expected(_ world: AccessWorld, period: ReportingPeriod) async throws -> [Int64: CompletenessCounts] {
        let su = try await world.db.superuserConnection()
        let rows = try await su.query(
            """
            SELECT u.unit_id, b.best FROM chitieu.admin_unit u
            JOIN chitieu.indicator i ON i.province_id = u.province_id AND u.level = ANY (i.reporting_levels) AND i.status = 'active'
            CROSS JOIN LATERAL (
                SELECT CASE WHEN bool_or(r.state = 'approved') THEN 'approved' WHEN bool_or(r.state = 'submitted') THEN 'submitted'
                            WHEN bool_or(r.state = 'returned') THEN 'returned' WHEN bool_or(r.state = 'draft') THEN 'draft' ELSE 'none' END AS best
                FROM chitieu.result r
                WHERE r.province_id = u.province_id AND r.unit_id = u.unit_id AND r.indicator_id = i.indicator_id
                  AND r.period_start >= \(PostgresDate(period.start)) AND r.period_end <= \(PostgresDate(period.end))
            ) b
            WHERE u.province_id = \(world.a.id)
            """)
        await su.close()
        var out: [Int64: CompletenessCounts] = [:]
        for row in rows {
            out[try row.decode(Int64.self, at: 0), default: CompletenessCounts()].add(ReportingState(rawValue: try row.decode(String.self, at: 1))!)
        }
        return out
    }

    @Test func theFiguresEqualTheResultsTableForTheYearAndAQuarter() async throws {
        let (world, _) = try await world()
        let store = CompletenessStore(database: world.app)
        let province = try await world.caller("tinh10", in: world.a)
        for period in [ReportingPeriod.year(2025), ReportingPeriod(code: "2025-Q1")!, ReportingPeriod(code: "2025-02")!] {
            let report = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: period, unit: nil, caller: province)
            let want = try await expected(world, period: period)
            let got = Dictionary(uniqueKeysWithValues: report.units.filter { $0.counts.indicators > 0 }.map { ($0.unitID, $0.counts) })
            #expect(got == want, "\(period.code)")
            // Two commune indicators (the suspended one left out), one district indicator.
            #expect(report.units.filter { $0.level == .commune }.allSatisfy { $0.counts.indicators == 2 })
            #expect(report.units.filter { $0.level == .district }.allSatisfy { $0.counts.indicators == 1 })
            #expect(report.units.first { $0.level == .province }?.counts.indicators == 0)
            let communes = try #require(report.levels.first { $0.level == .commune })
            #expect(communes.units == want.count { $0.value.indicators == 2 })
            #expect(communes.counts == report.units.filter { $0.level == .commune }.reduce(CompletenessCounts()) { $0 + $1.counts })
            #expect(communes.unitsWithoutReports == report.unitsWithoutReports.count { $0.level == .commune })
            #expect(report.unitsWithoutReports.allSatisfy { $0.counts.reported == 0 && want[$0.unitID]?.reported == 0 })
        }
        // The year: a commune with a submitted DA8-02 over the year and nothing else is half reported.
        let year = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: nil, caller: province)
        #expect(year.units.contains { $0.counts.submitted == 1 && $0.counts.nothing == 1 && $0.counts.reportedPercent == 50 })
        // The default deadline: 25 January of the next year.
        #expect(year.closesOn == CalendarDate(year: 2026, month: 1, day: 25))
        await world.shutdown()
    }

    @Test func aDistrictSeesItsCommunesOnlyAndAnotherProvincesUnitIsNotFound() async throws {
        let (world, _) = try await world()
        let store = CompletenessStore(database: world.app)
        let district = try await world.caller("huyen10", in: world.a)
        let report = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: nil, caller: district)
        let su = try await world.db.superuserConnection()
        let communes = try await su.query(
            "SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND parent_id = \(world.unitsA.district)"
        ).map { try $0.decode(Int64.self, at: 0) }
        await su.close()
        #expect(Set(report.units.map(\.unitID)) == Set(communes + [world.unitsA.district]))
        #expect(report.roots == [world.unitsA.district])
        #expect(report.cells.map(\.indicatorCode) == ["DA8-03"], "the district's own indicator, one by one")
        #expect(report.children(of: world.unitsA.district).count == communes.count)

        // Drilling down to a commune of its own; not to a commune of the other district, nor to another province's unit.
        let one = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: .id(world.unitsA.commune), caller: district)
        #expect(one.units.map(\.unitID) == [world.unitsA.commune] && one.cells.map(\.indicatorCode) == ["DA8-01", "DA8-02"])
        for unit in [world.unitsA.otherCommune, world.unitsB.commune, world.unitsB.province] {
            await expectError([.notFound], "\(unit)") {
                _ = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: .id(unit), caller: district)
            }
        }
        let other = try await world.caller("tinh15", in: world.b)
        await expectError([.notFound]) {
            _ = try await store.report(province: world.b.id, phaseCode: "2021-2025", period: .year(2025), unit: .id(world.unitsA.district), caller: other)
        }
        let commune = try await world.caller("xa10", in: world.a)
        let own = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: nil, caller: commune)
        #expect(own.units.map(\.unitID) == [world.unitsA.commune])
        let outside = await expectError([.invalid]) {
            _ = try await store.report(province: world.a.id, phaseCode: "2021-2025", period: .year(2031), unit: nil, caller: commune)
        }
        #expect(outside?.field == "year")
        await world.shutdown()
    }

    @Test func theDeadlineAndAReopeningShowPerUnit() async throws {
        let (world, _) = try await world()
        let results = ResultStore(database: world.app)
        try await results.setDeadline(province: world.a.id, year: 2025, closesOn: PostgresDate(year: 2099, month: 1, day: 31), caller: .command("test"))
        _ = try await results.openException(
            province: world.a.id, unit: .id(world.unitsA.district), year: 2025, until: PostgresDate(year: 2099, month: 3, day: 1),
            reason: "Lũ quét", caller: .command("test"))
        let report = try await CompletenessStore(database: world.app).report(
            province: world.a.id, phaseCode: "2021-2025", period: .year(2025), unit: nil, caller: try await world.caller("tinh10", in: world.a))
        let reopened = CalendarDate(year: 2099, month: 3, day: 1)
        #expect(report.closesOn == CalendarDate(year: 2099, month: 1, day: 31) && (report.daysLeft ?? 0) > 0)
        for unit in report.units where unit.counts.indicators > 0 {
            let below = unit.unitID == world.unitsA.district || unit.parentID == world.unitsA.district
            #expect(unit.closesOn == (below ? reopened : CalendarDate(year: 2099, month: 1, day: 31)), "\(unit.code)")
        }
        await world.shutdown()
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Targets of a split commune on today's units")
struct OnUnitsSplitTests {
    let reformDay = PostgresDate(year: 2025, month: 7, day: 1)

    @Test func everyYearlyPartIsTheFloorOrCeilingOfItsShareOfThatYear() async throws {
        // Hà Nội: Phường Cống Vị (00007) was split between Ngọc Hà (00008) and Giảng Võ (00025).
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let old = try await importUnits2021(province: "01", owner)
        // Cống Vị's targets: a flow of 100 (99, then 1) and a stock whose milestones rise to 10.
        let targets: [(code: String, kind: String, years: [Int], phase: Int)] = [("F", "flow", [99, 1, 0, 0, 0], 100), ("S", "stock", [1, 2, 2, 7, 10], 10)]
        let su = try await db.superuserConnection()
        for t in targets {
            try await su.query("INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind) VALUES (\(old.id), \(t.code), 'Chỉ tiêu', 'lớp', \(t.kind))")
            for (year, value) in [(Int?.none, t.phase)] + t.years.enumerated().map({ (Optional(2021 + $0.offset), $0.element) }) {
                try await su.query(
                    """
                    INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin)
                    SELECT i.province_id, i.indicator_id, u.unit_id, ph.phase_id, \(year.map { Int16($0) }), \(value), 'allocated'
                    FROM chitieu.indicator i JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.code = '00007'
                    JOIN chitieu.phase ph ON ph.province_id = i.province_id AND ph.code = '2021-2025' WHERE i.province_id = \(old.id) AND i.code = \(t.code)
                    """)
            }
        }
        await su.close()
        let reform = ReformStore(database: owner)
        let hanoi = try await applyReform2025(province: "01", owner).province
        #expect(try await reform.setWeights(province: hanoi, oldCode: "00007", weights: ["00008": 2, "00025": 1], caller: .command("test")) == 2)
        for t in targets {
            var parts: [String: [Int?: Int]] = [:]
            for year in [Int?.none] + (2021...2025).map(Optional.some) {
                let figures = try await ProgressStore(database: owner).figuresOnUnits(
                    province: hanoi.id, phaseCode: "2021-2025", asOf: reformDay, year: year, indicatorCode: t.code, caller: .command("test"))
                for f in figures.figures where ["00008", "00025"].contains(f.unitCode) { parts[f.unitCode, default: [:]][year] = f.target ?? -1 }
            }
            // 00008 weighs 2 of 3, 00025 1 of 3, in every year and for the phase.
            for (code, weight) in [("00008", 2), ("00025", 1)] {
                let share = { (value: Int) in (value * weight / 3)...((value * weight + 2) / 3) }
                #expect(share(t.phase).contains(parts[code]![nil]!), "\(t.code) \(code) phase: \(parts)")
                for (i, value) in t.years.enumerated() {
                    #expect(share(value).contains(parts[code]![2021 + i]!), "\(t.code) \(code) \(2021 + i): \(parts)")
                }
                let years = (2021...2025).map { parts[code]![$0]! }
                if t.kind == "flow" {
                    #expect(years.reduce(0, +) == parts[code]![nil]!)
                } else {
                    #expect(zip(years, years.dropFirst()).allSatisfy { $0 <= $1 } && years.last == parts[code]![nil]!, "\(code): \(years)")
                }
            }
            for year in [Int?.none] + (2021...2025).map(Optional.some) {
                #expect(parts["00008"]![year]! + parts["00025"]![year]! == (year.map { t.years[$0 - 2021] } ?? t.phase))
            }
        }
        await owner.pool.shutdown()
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import ChitieuWorkbook
import Foundation
import Postgres
import Testing

/// Files of results and targets as officers fill them, imported through `ImportStore`.
@Suite("Importing results and targets from files")
struct ImportStoreTests {
    static let header = ["Mã đơn vị [unit_code]", "Mã chỉ tiêu [indicator_code]", "Kỳ báo cáo [period]", "Giá trị [value]", "Ghi chú [evidence_note]"]

    /// An .xlsx file of results rows (unit, indicator, period, value, note).
    static func file(_ rows: [[Cell]], header: [String] = header) -> Data {
        Workbook(sheets: [Workbook.Sheet(name: "Kết quả", header: header, rows: rows)]).data()
    }

    /// The codes of a province's communes.
    static func communes(_ world: AccessWorld, _ p: Province) async throws -> [String] {
        try await world.app.withTenant(p.id) { tx in
            try await tx.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(p.id) AND level = 'commune' ORDER BY code")
                .map { try $0.decode(String.self, at: 0) }
        }
    }

    /// How many results, audit events of results, and pending progress jobs the province has.
    static func counts(_ world: AccessWorld, _ p: Province) async throws -> (results: Int, events: Int, jobs: Int) {
        let su = try await world.db.superuserConnection()
        let row = try await su.query(
            """
            SELECT (SELECT count(*) FROM chitieu.result WHERE province_id = \(p.id)),
                   (SELECT count(*) FROM chitieu.audit_event WHERE province_id = \(p.id) AND entity_type = 'result'),
                   (SELECT count(*) FROM chitieu.job WHERE province_id = \(p.id) AND kind = 'progress')
            """)[0]
        await su.close()
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
    }

    /// Ten thousand rows: every commune of Lào Cai, each month of 2026 to November, several times.
    static func tenThousandRows(_ communes: [String]) -> [[Cell]] {
        (0..<10_000).map { i in
            let month = (i / communes.count) % 11 + 1
            let round = i / (communes.count * 11)
            return [.text(communes[i % communes.count]), .text("DA8-01"), .text(String(format: "2026-%02d", month)), .integer(i % 7),
                    .text("Lần \(round + 1)")]
        }
    }

    @Test func tenThousandRowsAreImportedOnceAndTheSecondImportRecordsNothing() async throws {
        let world = try await AccessWorld.make()
        let store = ImportStore(database: world.app)
        let data = Self.file(Self.tenThousandRows(try await Self.communes(world, world.a)))
        let caller = try await world.caller("tinh10", in: world.a)

        let dry = try await store.importResults(province: world.a.id, file: data, submit: true, dryRun: true, caller: caller)
        #expect(dry.accepted && dry.rows == 10_000 && dry.recorded == 10_000 && dry.unchanged == 0)
        #expect(try await Self.counts(world, world.a) == (0, 0, 0))

        let first = try await store.importResults(province: world.a.id, file: data, submit: true, dryRun: false, caller: caller)
        #expect(first.accepted && first.recorded == 10_000 && first.unchanged == 0, "\(first.problems.prefix(3))")
        // Each result has its audit event; the recomputations coalesce into one job per indicator and phase.
        #expect(try await Self.counts(world, world.a) == (10_000, 10_000, 1))

        let second = try await store.importResults(province: world.a.id, file: data, submit: true, dryRun: false, caller: caller)
        #expect(second.accepted && second.recorded == 0 && second.unchanged == 10_000)
        #expect(try await Self.counts(world, world.a) == (10_000, 10_000, 1))
        await world.shutdown()
    }

    @Test func aFileWithTwentyBadRowsIsRefusedWithExactlyThoseRowsAndNothingWritten() async throws {
        let world = try await AccessWorld.make()
        let communes = try await Self.communes(world, world.a)
        var rows: [[Cell]] = (0..<200).map { [.text(communes[$0 % communes.count]), .text("DA8-01"), .text("2026-Q1"), .integer($0 % 5), .empty] }
        let bad: [(Int, [Cell], String)] = [
            (3, [.text("99999"), .text("DA8-01"), .text("2026-Q1"), .integer(1), .empty], "unit_code"),
            (10, [.text(communes[0]), .text("KHONG-CO"), .text("2026-Q1"), .integer(1), .empty], "indicator_code"),
            (17, [.text(communes[0]), .text("DA8-01"), .text("Quý 1"), .integer(1), .empty], "period"),
            (24, [.text(communes[0]), .text("DA8-01"), .text("2026-Q4"), .integer(1), .empty], "period"),
            (31, [.text(communes[0]), .text("DA8-01"), .text("2026-Q1"), .text("ba"), .empty], "value"),
            (38, [.text(communes[0]), .text("DA8-01"), .text("2026-Q1"), .number(2.5), .empty], "value"),
            (45, [.text(communes[0]), .text("DA8-01"), .text("2026-Q1"), .integer(-1), .empty], "value"),
            (52, [.empty, .text("DA8-01"), .text("2026-Q1"), .integer(1), .empty], "unit_code"),
            (59, [.text(communes[0]), .text("DA8-01"), .text("2026-Q1"), .empty, .text("quên ghi số")], "value"),
            (66, [.text(communes[0]), .text("DA8-01"), .text("2026-Q1"), .integer(20_000_000), .empty], "value"),
        ]
        var expected: [Int: String] = [:]
        for (index, cells, field) in bad {
            rows[index] = cells
            rows[index + 100] = cells
            expected[index + 2] = field
            expected[index + 102] = field
        }
        let report = try await ImportStore(database: world.app).importResults(
            province: world.a.id, file: Self.file(rows), submit: false, dryRun: false, caller: try await world.caller("tinh10", in: world.a))
        #expect(!report.accepted && report.recorded == 0)
        #expect(report.problemRows == expected.keys.sorted())
        #expect(Dictionary(uniqueKeysWithValues: report.problems.map { ($0.row, $0.field) }) == expected)
        #expect(report.problems.first { $0.row == 5 }?.column == "A")
        #expect(report.problems.first { $0.row == 33 }?.message(in: .vi) == "Dòng 33, cột D: Giá trị phải là số nguyên từ 0 đến 10.000.000.")
        #expect(try await Self.counts(world, world.a) == (0, 0, 0))
        await world.shutdown()
    }

    @Test func anotherProvincesUnitsAreUnknownAndACommuneOfficerReportsOnlyForItsCommune() async throws {
        let world = try await AccessWorld.make()
        let store = ImportStore(database: world.app)
        let ours = try await Self.communes(world, world.a)
        let theirs = try await Self.communes(world, world.b)
        let file = Self.file([
            [.text(ours[0]), .text("DA8-01"), .text("2026-Q1"), .integer(2), .empty],
            [.text(theirs[0]), .text("DA8-01"), .text("2026-Q1"), .integer(2), .empty],
        ])
        let report = try await store.importResults(
            province: world.a.id, file: file, submit: false, dryRun: false, caller: try await world.caller("tinh10", in: world.a))
        #expect(!report.accepted && report.problemRows == [3])
        #expect(report.problems[0].error.key == .unknownUnit && report.problems[0].column == "A")

        // xa10's commune is the first commune of the first district; another commune is out of its scope.
        let own = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND unit_id = \(world.unitsA.commune)")[0]
                .decode(String.self, at: 0)
        }
        let other = ours.first { $0 != own }!
        let mixed = try await store.importResults(
            province: world.a.id, file: Self.file([[.text(own), .text("DA8-01"), .text("2026-Q1"), .integer(1), .empty],
                                                   [.text(other), .text("DA8-01"), .text("2026-Q1"), .integer(1), .empty]]),
            submit: false, dryRun: true, caller: try await world.caller("xa10", in: world.a))
        #expect(mixed.problemRows == [3] && mixed.problems[0].error.code == .notFound)
        #expect(try await Self.counts(world, world.a).results == 0)
        await world.shutdown()
    }

    @Test func theTemplateFilledInWithBreakdownsAndCompanionFiguresIsImported() async throws {
        let world = try await AccessWorld.make()
        _ = try await IndicatorStore(database: world.app).add(
            IndicatorDraft(
                code: "DA8-05", name: "Câu lạc bộ Thủ lĩnh của sự thay đổi", measureUnit: "câu lạc bộ", kind: .flow,
                companionMeasure: "thành viên", companionDisaggregation: ["sex": ["nữ", "nam"]]),
            province: world.a.id, caller: .command("test"))
        let store = ImportStore(database: world.app)
        let caller = try await world.caller("huyen10", in: world.a)
        let template = try await store.resultsTemplate(
            province: world.a.id, period: ReportingPeriod(code: "2026-Q2")!, level: .commune, caller: caller)
        #expect(template.header.map(\.key) == [
            "unit_code", "unit_name", "indicator_code", "indicator_name", "period", "value", "companion_value",
            "companion_breakdown.sex.nữ", "companion_breakdown.sex.nam", "evidence_note",
        ])
        #expect(template.rows.count % 2 == 0 && template.rows.allSatisfy { $0[4] == .text("2026-Q2") })
        var rows = template.rows
        let clubs = rows.firstIndex { $0[2] == .text("DA8-05") }!
        rows[clubs][5] = .integer(2)
        rows[clubs][6] = .integer(40)
        rows[clubs][7] = .integer(25)
        rows[clubs][8] = .integer(14)
        let teams = rows.firstIndex { $0[2] == .text("DA8-01") }!
        rows[teams][5] = .integer(3)
        let filled = ImportTemplate(kind: .results, header: template.header, rows: rows, name: template.name)
        for format in [ImportTemplate.Format.xlsx, .csv] {
            let report = try await store.importResults(
                province: world.a.id, file: filled.file(format).data, submit: false, dryRun: true, caller: caller)
            #expect(report.rows == 2 && report.problemRows == [clubs + 2], "\(format)")
            #expect(report.problems.first?.field == "companion_breakdown.sex", "\(format)")
            #expect(report.problems.first?.column == "H", "\(format)")
        }
        rows[clubs][7] = .integer(26)
        let fixed = ImportTemplate(kind: .results, header: template.header, rows: rows, name: template.name).file(.xlsx).data
        let report = try await store.importResults(province: world.a.id, file: fixed, submit: false, dryRun: false, caller: caller)
        #expect(report.accepted && report.recorded == 2)
        let stored = try await ResultStore(database: world.app).list(province: world.a.id, filter: .init(), caller: caller)
        #expect(stored.first { $0.indicatorCode == "DA8-05" }?.figures.companionBreakdown == ["sex": ["nữ": 26, "nam": 14]])
        #expect(stored.allSatisfy { $0.state == .draft })
        await world.shutdown()
    }

    @Test func targetsAreSetFromAFileAndEqualOnesAreLeft() async throws {
        let world = try await AccessWorld.make()
        let store = ImportStore(database: world.app)
        let caller = try await world.caller("tinh10", in: world.a)
        let template = try await store.targetsTemplate(province: world.a.id, phase: "2026-2030", year: 2027, level: .district, caller: caller)
        #expect(template.header.map(\.key) == ["unit_code", "unit_name", "indicator_code", "indicator_name", "year", "target"])
        var rows = template.rows
        for i in rows.indices { rows[i][5] = .integer(10 + i) }
        let file = ImportTemplate(kind: .targets, header: template.header, rows: rows, name: template.name).file(.csv).data
        let first = try await store.importTargets(province: world.a.id, file: file, phase: "2026-2030", dryRun: false, caller: caller)
        #expect(first.accepted && first.recorded == rows.count && first.unchanged == 0, "\(first.problems)")
        let again = try await store.importTargets(province: world.a.id, file: file, phase: "2026-2030", dryRun: false, caller: caller)
        #expect(again.accepted && again.recorded == 0 && again.unchanged == rows.count)
        let shown = try await store.targetsTemplate(province: world.a.id, phase: "2026-2030", year: 2027, level: .district, caller: caller)
        #expect(shown.rows.map { $0[5] } == rows.map { $0[5] })

        // A year outside the phase, and a district officer (the province does not let districts plan): refused, nothing set.
        rows[0][4] = .integer(2031)
        rows[1][5] = .integer(99)
        let bad = ImportTemplate(kind: .targets, header: template.header, rows: rows, name: template.name).file(.xlsx).data
        let refused = try await store.importTargets(province: world.a.id, file: bad, phase: "2026-2030", dryRun: false, caller: caller)
        #expect(refused.problemRows == [2] && refused.problems[0].field == "year")
        let district = try await store.importTargets(
            province: world.a.id, file: bad, phase: "2026-2030", dryRun: true, caller: try await world.caller("huyen10", in: world.a))
        #expect(!district.accepted)
        await world.shutdown()
    }
}

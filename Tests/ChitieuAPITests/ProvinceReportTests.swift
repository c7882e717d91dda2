import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The province's report (`ProgressStore.provinceReport`, `GET /v1/reports/province`, the
/// Báo cáo page): the progress figures of the caller's own scope, arranged by level.
@Suite("The province's report")
struct ProvinceReportTests {
    /// Every line of the report is the figure the progress read gives the same caller, and
    /// nothing else is in it.
    static func expectSameFigures(_ report: ProvinceReport, _ figures: [ProgressFigure], _ who: String) {
        let byKey = Dictionary(figures.map { ("\($0.unitID) \($0.indicatorCode)", $0) }, uniquingKeysWith: { a, _ in a })
        var seen = 0
        for table in report.tables {
            for group in table.groups {
                for line in group.lines {
                    seen += 1
                    let f = byKey["\(group.unitID) \(line.indicatorCode)"]
                    #expect(f?.unitLevel == table.level && f?.target == line.target && f?.achieved == line.achieved && f?.rate == line.rate
                        && f?.status == line.status, "\(who): \(group.unitName) \(line.indicatorCode) differs from the progress figure")
                }
            }
        }
        #expect(seen == figures.count, "\(who): \(seen) lines for \(figures.count) figures")
    }

    @Test func eachOfficerGetsTheFiguresOfItsOwnScope() async throws {
        let web = try await WebWorld.make()
        let world = web.world
        let u = world.unitsA
        let progress = ProgressStore(database: world.app)
        let scopes: [(login: String, province: Province, levels: [UnitLevel], top: Int64)] = [
            ("tinh10", world.a, [.province, .district, .commune], u.province), ("huyen10", world.a, [.district, .commune], u.district),
            ("xa10", world.a, [.commune], u.commune), ("canbo.yenbai", world.b, [.province, .district, .commune], world.unitsB.province),
        ]
        for scope in scopes {
            let caller = try await world.caller(scope.login, in: scope.province)
            let report = try await progress.provinceReport(province: scope.province.id, phaseCode: "2021-2025", year: nil, caller: caller)
            let figures = try await progress.figures(province: scope.province.id, phaseCode: "2021-2025", year: nil, unit: nil, depth: 3, caller: caller)
            Self.expectSameFigures(report, figures, scope.login)
            #expect(report.tables.map(\.level) == scope.levels, "\(scope.login): \(report.tables.map(\.level))")
            #expect(report.tables.first?.groups.first?.unitID == scope.top)
            #expect(report.provinceName == scope.province.name)
        }
        // Lào Cai's province reached its target (3.816 of 424); Yên Bái reported nothing.
        let tinh = try await progress.provinceReport(province: world.a.id, phaseCode: "2021-2025", year: 2025, caller: try await world.caller("tinh10", in: world.a))
        #expect(tinh.completion?.text == "Hoàn thành 1/1 chỉ tiêu" && tinh.period == "Năm 2025")
        let yenbai = try await progress.provinceReport(province: world.b.id, phaseCode: "2021-2025", year: nil, caller: try await world.caller("canbo.yenbai", in: world.b))
        #expect(yenbai.completion?.text == "Hoàn thành 0/1 chỉ tiêu")
        let unitsA: Set<Int64> = [u.province, u.district, u.otherDistrict, u.commune, u.otherCommune, web.hostileCommune]
        #expect(yenbai.tables.flatMap(\.groups).allSatisfy { !unitsA.contains($0.unitID) })
        // Another province's officer has no access to this one; a year outside the phase names the field.
        await #expect(throws: ChitieuError.self) {
            _ = try await progress.provinceReport(province: world.a.id, phaseCode: "2021-2025", year: nil, caller: try await world.caller("canbo.yenbai", in: world.b))
        }
        let outside = await #expect(throws: ChitieuError.self) {
            _ = try await progress.provinceReport(province: world.a.id, phaseCode: "2021-2025", year: 2030, caller: .command("test"))
        }
        #expect(outside?.field == "year")
        // A suspended indicator stays in the report, noted, and out of the count.
        _ = try await IndicatorStore(database: world.app).suspend(
            code: "DA8-01", from: PostgresDate(year: 2025, month: 7, day: 1), reason: "Trung ương dừng", province: world.b.id, caller: .command("test"))
        try await world.computeProgress([world.a, world.b])
        let suspended = try await progress.provinceReport(province: world.b.id, phaseCode: "2021-2025", year: nil, caller: .command("test"))
        #expect(suspended.tables.first?.groups.first?.lines.first?.note == "Tạm dừng từ 01/07/2025")
        #expect(suspended.completion?.text == "Hoàn thành 0/0 chỉ tiêu (1 chỉ tiêu tạm dừng)")
        await world.shutdown()
    }

    @Test func theRouteAndThePageServeTheReport() async throws {
        let web = try await WebWorld.make()
        let world = web.world
        try await withLivePages(world) { http in
            let api = APIClient(client: http)
            let district = try await api.login("canbo.huyen")
            let json = try await api.call(.get, "/v1/reports/province?phase=2021-2025", token: district)
            #expect(json.status == .ok, "\(json.text)")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any])
            let tables = try #require(body["tables"] as? [[String: Any]])
            #expect(tables.map { $0["level"] as? String } == ["district", "commune"])
            #expect((body["province"] as? String) == world.a.name && (body["project"] as? String)?.hasPrefix("Dự án 8") == true)
            let xlsx = try await api.call(.get, "/v1/reports/province?phase=2021-2025&year=2025&format=xlsx", token: district)
            #expect(xlsx.status == .ok)
            #expect(xlsx.headers[.contentDisposition] == "attachment; filename=\"bao-cao-2021-2025-2025.xlsx\"")
            #expect(xlsx.text.hasPrefix("PK"))
            #expect(try await api.call(.get, "/v1/reports/province?phase=2021-2025&year=2030", token: district).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/reports/province?phase=2021-2025&format=pdf", token: district).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/reports/province", token: district).status == .unprocessableContent)

            let page = try await WebClient.signedIn(http, "canbo.tinh")
            let html = try await page.request(.get, "/bao-cao?phase=2021-2025")
            #expect(html.status == .ok)
            #expect(html.text.contains("Hoàn thành 1/1 chỉ tiêu") && html.text.contains("III. Cấp xã") && html.text.contains("3.816"))
            #expect(html.text.contains(WebPagesTests.escaped(WebWorld.hostileName)) && !html.text.contains(WebWorld.hostileName))
            #expect(html.text.contains("href=\"/bao-cao/tai-ve?phase=2021-2025\""))
            let file = try await page.request(.get, "/bao-cao/tai-ve?phase=2021-2025")
            #expect(file.status == .ok && file.headers[.contentDisposition] == "attachment; filename=\"bao-cao-2021-2025.xlsx\"")
            let other = try await WebClient.signedIn(http, "canbo.yenbai")
            let theirs = try await other.request(.get, "/bao-cao")
            #expect(theirs.status == .ok && !theirs.text.contains(WebWorld.hostileName) && !theirs.text.contains(WebPagesTests.escaped(WebWorld.hostileName)))
            #expect(try await other.request(.get, "/bao-cao/tai-ve?phase=2031-2035").status == .badRequest)
        }
        await world.shutdown()
    }
}

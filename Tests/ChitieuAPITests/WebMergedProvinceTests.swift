import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The dashboard of a province whose units changed during the phase offers its figures as
/// reported and on today's units, as `GET /v1/progress?as_of_units=` does.
@Suite("The dashboard of a merged province")
struct WebMergedProvinceTests {
    @Test func theDashboardSwitchesBetweenAsReportedAndTodaysUnits() async throws {
        let reformDay = PostgresDate(year: 2025, month: 7, day: 1)
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        _ = try await UnitStore(database: owner).importUnits(
            try AdminUnitsCSV.parse(try dataFile("units-2021.csv")).filtered(province: "01"), validFrom: PostgresDate(year: 2021, month: 1, day: 1),
            validTo: nil, actor: .command("test"), source: "units-2021.csv")
        let old = try await TenantStore(database: owner).resolve(code: "01")
        // Phường Cống Vị (00007), later split between Ngọc Hà (00008) and Giảng Võ (00025), had a target of 100.
        let su = try await db.superuserConnection()
        try await su.query("INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind) VALUES (\(old.id), 'F', 'Lớp tập huấn', 'lớp', 'flow')")
        try await su.query(
            """
            INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin)
            SELECT i.province_id, i.indicator_id, u.unit_id, ph.phase_id, NULL, 100, 'allocated'
            FROM chitieu.indicator i JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.code = '00007'
            JOIN chitieu.phase ph ON ph.province_id = i.province_id AND ph.code = '2021-2025' WHERE i.province_id = \(old.id) AND i.code = 'F'
            """)
        await su.close()
        let reform = ReformStore(database: owner)
        _ = try await reform.apply(
            units: try AdminUnitsCSV.parse(try dataFile("units-2025.csv")), succession: try SuccessionCSV.parse(try dataFile("succession-2025.csv")),
            on: reformDay, provinceCodes: ["01"], actor: .command("test"), source: "units-2025.csv")
        let hanoi = try await TenantStore(database: owner).resolve(code: "01", on: reformDay)
        await owner.pool.shutdown()
        let app = ChitieuDatabase(pool: db.appPool(maxConnections: 4))
        let accounts = AccountStore(database: app, passwordParameters: testPasswordParameters)
        _ = try await accounts.create(
            province: hanoi.id, username: "tinh01", displayName: "Cán bộ thành phố", homeUnit: nil, password: testPassword, caller: .command("test"))
        let root = try await app.withTenant(hanoi.id) { tx in try await Access.rootUnit(tx: tx) }
        _ = try await accounts.grant(province: hanoi.id, username: "tinh01", role: .province, unit: .id(root), caller: .command("test"))
        let progress = ProgressStore(database: app)
        for phase in try await progress.phaseIDs(province: hanoi.id) { _ = try await progress.compute(province: hanoi.id, phaseID: phase) }
        await app.pool.shutdown()

        try await withLivePages(db) { http in
            let browser = WebClient(http)
            #expect(try await browser.signIn("tinh01").status == .seeOther)
            let reported = try await browser.request(.get, "/tong-quan?phase=2021-2025")
            #expect(reported.status == .ok)
            #expect(reported.text.contains("aria-current=\"true\">Như đã báo cáo"), "\(reported.text)")
            let today = try await browser.request(.get, "/tong-quan?phase=2021-2025&view=units")
            #expect(today.status == .ok)
            #expect(today.text.contains("aria-current=\"true\">Theo đơn vị hiện nay"), "\(today.text)")
            // The choice is kept by the other links of the page.
            #expect(today.text.contains("view=units"))
        }
    }
}

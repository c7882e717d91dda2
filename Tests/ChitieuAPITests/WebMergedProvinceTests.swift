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
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        // Phường Cống Vị (00007), later split between Ngọc Hà (00008) and Giảng Võ (00025), had a target of 100.
        _ = try await hanoiWithCongViTarget(db, owner, indicator: "F", target: 100, origin: "allocated")
        let hanoi = try await applyReform2025(province: "01", owner).province
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

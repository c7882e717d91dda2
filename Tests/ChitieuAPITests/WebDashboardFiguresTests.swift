import ChitieuDomain
import ChitieuJobs
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// The dashboard reads its figures through the daemon's kept answers, as `GET /v1/progress`
/// does: a figure changed behind chitieu's back does not show, an approval shows once the
/// progress job has recomputed (and announced) the province's figures.
@Suite("The dashboard's kept figures")
struct WebDashboardFiguresTests {
    @Test func theDashboardShowsANewApprovedFigureAfterTheProgressJob() async throws {
        let web = try await WebWorld.make()
        let world = web.world
        let u = world.unitsA
        let su = try await world.db.superuserConnection()
        try await withLivePages(world) { http in
            let province = try await WebClient.signedIn(http, "canbo.tinh")
            let pages = ["/tong-quan?phase=2021-2025", "/tong-quan?phase=2021-2025&unit=\(u.district)", "/tong-quan?phase=2021-2025&year=2025"]
            /// Sets the province's and the district's figures as if recomputed, without announcing it.
            func overwrite(_ achieved: Int) async throws {
                try await su.query(
                    """
                    UPDATE chitieu.progress SET achieved = \(achieved)
                    WHERE province_id = \(world.a.id) AND indicator_code = 'DA8-01' AND unit_id IN (\(u.province), \(u.district)) AND (year IS NULL OR year = 2025)
                    """)
            }
            // Kept once the daemon listens: the unannounced change does not show, on any of the pages.
            let kept = try await ChitieuTesting.eventually {
                for path in pages { _ = try await province.request(.get, path) }
                try await overwrite(9999)
                var shown: [String] = []
                for path in pages { shown.append(try await province.request(.get, path).text) }
                try await overwrite(3816)
                return shown.allSatisfy { $0.contains("<dd>3.816</dd>") && !$0.contains("9.999") }
            }
            #expect(kept, "the dashboard's figures are kept as the JSON route's are")

            // A commune of the district reports 1.234 teams, approved; the progress job recomputes.
            let results = ResultStore(database: world.app)
            let (reported, _) = try await results.create(
                province: world.a.id,
                ResultInput(indicatorID: world.indicators[0], unit: .id(web.hostileCommune), periodStart: PostgresDate("2025-10-01")!,
                            periodEnd: PostgresDate("2025-12-31")!, figures: ResultFigures(value: 1234)),
                submit: true, idempotencyKey: nil, caller: .command("test"))
            _ = try await results.approve(province: world.a.id, id: reported.id, caller: try await world.caller("huyen10", in: world.a))
            let queue = JobQueue(pool: world.app.pool)
            let handler = try #require(StandardJobs.handlers(database: world.app)["progress"])
            let jobs = try await queue.claim(worker: "test", limit: 100, lease: .seconds(30)).filter { $0.kind == "progress" }
            #expect(!jobs.isEmpty)
            for job in jobs { try await handler(job) }
            _ = try await queue.complete(jobs.map(\.id), worker: "test")

            // 3.816 + 1.234: the province's and the district's pages, the whole phase and the year.
            for path in pages {
                let updated = try await ChitieuTesting.eventually(timeout: .seconds(10)) {
                    try await province.request(.get, path).text.contains("<dd>5.050</dd>")
                }
                #expect(updated, "\(path) shows the new figure")
            }
        }
        await su.close()
        await world.shutdown()
    }
}

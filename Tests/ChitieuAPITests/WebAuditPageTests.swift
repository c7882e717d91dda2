import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Nhật ký (`/nhat-ky`) over HTTP, and the `summary` of `GET /v1/audit`: who may read the log,
/// its filters, names shown as text, and never another province's events.
@Suite("The audit log page and the API's sentences")
struct WebAuditPageTests {
    /// A world with a result at the commune with the hostile name and an account of the other province.
    static func make() async throws -> WebWorld {
        let web = try await WebWorld.make()
        let world = web.world
        _ = try await ResultStore(database: world.app).create(
            province: world.a.id,
            ResultInput(indicatorID: world.indicators[0], unit: .id(web.hostileCommune), periodStart: PostgresDate("2025-07-01")!,
                        periodEnd: PostgresDate("2025-09-30")!, figures: ResultFigures(value: 12)),
            submit: false, idempotencyKey: nil, caller: .command("test"))
        try await world.officer("rieng.yenbai", in: world.b, role: .commune, at: world.unitsB.commune)
        return web
    }

    @Test func theProvinceAndDistrictOfficersReadItOthersGet403AndNoLink() async throws {
        let web = try await Self.make()
        try await withLivePages(web.world) { http in
            for (login, status) in [("canbo.tinh", HTTPResponse.Status.ok), ("canbo.huyen", .ok), ("canbo.xa", .forbidden), ("xem10", .forbidden)] {
                let browser = WebClient(http)
                try await browser.signIn(login)
                let page = try await browser.request(.get, "/nhat-ky")
                #expect(page.status == status, "\(login): \(page.status)")
                let home = try await browser.request(.get, "/tong-quan")
                #expect(home.text.contains("href=\"/nhat-ky\"") == (status == .ok), "\(login): the link to Nhật ký")
            }
            // Without a session: the sign-in page.
            let anonymous = try await WebClient(http).request(.get, "/nhat-ky")
            #expect(anonymous.status == .seeOther)
        }
        await web.world.shutdown()
    }

    @Test func theLogReadsInSentencesWithTheRawDataOneClickAway() async throws {
        let web = try await Self.make()
        try await withLivePages(web.world) { http in
            let browser = try await WebClient.signedIn(http, "canbo.tinh")
            let page = try await browser.request(.get, "/nhat-ky?loai=result")
            #expect(page.status == .ok)
            #expect(page.text.contains("Cán bộ huyen10 đã duyệt kết quả 3.816 "), "\(page.text)")
            #expect(page.text.contains("(quý IV/2025)"))
            #expect(page.text.contains("Cán bộ xa10 đã nhập và gửi duyệt kết quả 3.816 "))
            #expect(page.text.contains("<details><summary>Dữ liệu gốc</summary>"))
            #expect(page.text.contains("&quot;state&quot; : &quot;approved&quot;") || page.text.contains("&quot;state&quot;: &quot;approved&quot;"))
            // The hostile unit's name is text, never markup.
            #expect(page.text.contains("của &lt;script&gt;alert(1)&lt;/script&gt; (quý III/2025)"), "\(page.text)")
            #expect(!page.text.contains(WebWorld.hostileName))
            #expect(!page.text.contains("<script"))
        }
        await web.world.shutdown()
    }

    @Test func filtersByUnitEntityPersonAndDays() async throws {
        let web = try await Self.make()
        let a = web.world.unitsA
        try await withLivePages(web.world) { http in
            let browser = try await WebClient.signedIn(http, "canbo.tinh")
            let hostile = try await browser.request(.get, "/nhat-ky?don_vi=\(web.hostileCommune)")
            #expect(hostile.status == .ok)
            #expect(hostile.text.contains("cli:test đã nhập bản nháp kết quả 12 "))
            #expect(!hostile.text.contains("3.816"), "another unit's events are left out")
            let commune = try await browser.request(.get, "/nhat-ky?don_vi=\(a.commune)&loai=result")
            #expect(commune.text.contains("3.816") && !commune.text.contains("kết quả 12 "))

            let accounts = try await browser.request(.get, "/nhat-ky?loai=account")
            #expect(accounts.text.contains("đã tạo tài khoản canbo.xa"))
            #expect(!accounts.text.contains("đã duyệt"))

            let person = try await browser.request(.get, "/nhat-ky?nguoi=huyen10")
            #expect(person.text.contains("Cán bộ huyen10 đã duyệt"))
            #expect(!person.text.contains("Cán bộ xa10"))

            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
            let now = calendar.dateComponents([.year, .month, .day], from: Date())
            let today = CalendarDate(year: now.year!, month: now.month!, day: now.day!).dayMonthYear
            let days = try await browser.request(.get, "/nhat-ky?loai=result&tu=\(today)&den=\(today)")
            #expect(days.text.contains("Cán bộ huyen10 đã duyệt"))
            let future = try await browser.request(.get, "/nhat-ky?tu=01/01/2099")
            #expect(future.text.contains("Không có sự kiện nào phù hợp."))
            let past = try await browser.request(.get, "/nhat-ky?den=01/01/2000")
            #expect(past.text.contains("Không có sự kiện nào phù hợp."))
            let bad = try await browser.request(.get, "/nhat-ky?tu=31/02/2025")
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("không phải là một ngày dạng ngày/tháng/năm"))

            // Another province's unit, and a unit outside a district officer's scope: 404.
            #expect(try await browser.request(.get, "/nhat-ky?don_vi=\(web.world.unitsB.province)").status == .notFound)
            let district = try await WebClient.signedIn(http, "canbo.huyen")
            #expect(try await district.request(.get, "/nhat-ky?don_vi=\(a.otherDistrict)").status == .notFound)
            // A district officer reads the events of the district's units only.
            let own = try await district.request(.get, "/nhat-ky?loai=result")
            #expect(own.text.contains("3.816"))
        }
        await web.world.shutdown()
    }

    @Test func pagingWalksTheWholeLogOnce() async throws {
        let web = try await Self.make()
        let su = try await web.world.db.superuserConnection()
        for i in 0..<60 {
            try await su.query(
                """
                INSERT INTO chitieu.audit_event (province_id, actor_label, action, entity_type, entity_id, unit_id)
                VALUES (\(web.world.a.id), 'cli:test', 'widget.polish', 'widget', \("w\(i)"), \(web.world.unitsA.commune))
                """)
        }
        await su.close()
        try await withLivePages(web.world) { http in
            let browser = try await WebClient.signedIn(http, "canbo.tinh")
            let first = try await browser.request(.get, "/nhat-ky?loai=&don_vi=\(web.world.unitsA.commune)")
            #expect(first.text.components(separatedBy: "<li class=\"card\">").count - 1 == 50)
            let next = try #require(first.text.range(of: #"/nhat-ky\?don_vi=[0-9]+&amp;sau=[0-9]+"#, options: .regularExpression).map {
                String(first.text[$0]).replacingOccurrences(of: "&amp;", with: "&")
            })
            let second = try await browser.request(.get, next)
            #expect(second.status == .ok)
            let seen = (first.text + second.text).components(separatedBy: "widget.polish widget w").count - 1
            // The unknown action is said plainly, and each of the 60 appears once (the page and its raw data).
            #expect(seen == 60, "\(seen)")
        }
        await web.world.shutdown()
    }

    @Test func anotherProvincesEventsAreNeverShown() async throws {
        let web = try await Self.make()
        try await withLivePages(web.world) { http in
            for (login, sees) in [("canbo.tinh", false), ("canbo.yenbai", true)] {
                let browser = WebClient(http)
                try await browser.signIn(login)
                let page = try await browser.request(.get, "/nhat-ky?loai=account")
                #expect(page.status == .ok)
                #expect(page.text.contains("rieng.yenbai") == sees, "\(login)")
            }
            let api = APIClient(client: http)
            let token = try await api.login("canbo.tinh")
            let all = try await api.call(.get, "/v1/audit?entity_type=account&limit=1000", token: token)
            #expect(!all.text.contains("rieng.yenbai"))
            #expect(try await api.call(.get, "/v1/audit?unit_id=\(web.world.unitsB.province)", token: token).status == .notFound)
        }
        await web.world.shutdown()
    }

    @Test func theAPIsSummaryIsInTheLanguageAsked() async throws {
        let web = try await Self.make()
        try await withLivePages(web.world) { http in
            let api = APIClient(client: http)
            let token = try await api.login("canbo.tinh")
            let vi = try await api.call(.get, "/v1/audit?entity_type=result&actor=huyen10", token: token, headers: [.acceptLanguage: "vi"])
            #expect(vi.status == .ok)
            let summary = try #require(vi.items.first?["summary"] as? String)
            #expect(summary.hasPrefix("Cán bộ huyen10 đã duyệt kết quả 3.816 ") && summary.hasSuffix("(quý IV/2025)"), "\(summary)")
            #expect(vi.items.first?["actor_name"] as? String == "Cán bộ huyen10")
            let en = try await api.call(.get, "/v1/audit?entity_type=result&actor=huyen10", token: token)
            let english = try #require(en.items.first?["summary"] as? String)
            #expect(english.hasPrefix("Cán bộ huyen10 approved the result 3,816 ") && english.hasSuffix("(Q4 2025)"), "\(english)")
            let bad = try await api.call(.get, "/v1/audit?until=yesterday", token: token)
            #expect(bad.status == .unprocessableContent)
        }
        await web.world.shutdown()
    }
}

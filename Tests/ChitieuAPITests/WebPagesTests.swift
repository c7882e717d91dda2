import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The officers' pages over HTTP, without a browser: sign-in and out, the session cookie, CSRF,
/// the security headers, the dashboard and downloads for every role, and other provinces' ids.
@Suite("The officers' pages")
struct WebPagesTests {
    @Test func signingInSetsAStrictHttpOnlyCookieAndSigningOutRevokesIt() async throws {
        try await withWebWorld { web, http in
            let browser = WebClient(http)
            let form = try await browser.request(.get, "/dang-nhap")
            #expect(form.status == .ok)
            #expect(form.text.contains("<label for=\"username\">Tên đăng nhập</label>"))
            let wrong = try await browser.signIn("canbo.xa", password: "không phải mật khẩu")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("Tên đăng nhập hoặc mật khẩu không đúng"), "\(wrong.text)")
            #expect(browser.cookies["chitieu_session"] == nil)

            let signedIn = try await browser.signIn("canbo.xa")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.location == "/tong-quan")
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("chitieu_session=") })
            for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(flag), "\(cookie)") }
            #expect(!cookie.contains("Secure"), "a plain HTTP request gets no Secure cookie: \(cookie)")
            let token = try #require(browser.cookies["chitieu_session"])

            let dashboard = try await browser.request(.get, "/tong-quan")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("Cán bộ canbo.xa"))
            let out = try await browser.post("/dang-xuat", [])
            #expect(out.status == .seeOther)
            #expect(browser.cookies["chitieu_session"] == nil)
            // The token itself is revoked, not only forgotten by the browser.
            let api = APIClient(client: http)
            #expect(try await api.call(.get, "/v1/sessions/current", token: token).status == .unauthorized)
            let after = try await browser.request(.get, "/tong-quan")
            #expect(after.status == .seeOther)
            #expect(after.location?.hasPrefix("/dang-nhap?tiep=") == true, "\(after.location ?? "")")
        }
    }

    @Test func theCookieIsSecureBehindATrustedProxyThatSaysHTTPS() async throws {
        let web = try await WebWorld.make()
        try await withLivePages(web.world, trustedProxies: ["127.0.0.1", "::1"]) { http in
            let browser = WebClient(http)
            try await browser.request(.get, "/dang-nhap", headers: [.init("X-Forwarded-Proto")!: "https"])
            let signedIn = try await browser.request(
                .post, "/dang-nhap", form: [("_csrf", browser.csrf ?? ""), ("username", "canbo.tinh"), ("password", testPassword)],
                headers: [.init("X-Forwarded-Proto")!: "https"])
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("chitieu_session=") })
            #expect(cookie.contains("Secure"), "\(cookie)")
        }
        await web.world.shutdown()
    }

    @Test func everyPageCarriesTheSecurityHeadersAndTheStylesheetIsCachedForAYear() async throws {
        try await withWebWorld { web, http in
            let browser = try await WebClient.signedIn(http, "canbo.tinh")
            for path in ["/dang-nhap", "/tong-quan", "/tai-ve", "/mat-khau", "/khong-co-trang-nay"] {
                let page = try await browser.request(.get, path)
                let csp = try #require(page.headers[.init("Content-Security-Policy")!], "\(path)")
                #expect(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "\(path): \(csp)")
                #expect(page.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                #expect(!page.text.contains("<script"), "\(path) has a script element")
                #expect(!page.text.contains("style=\""), "\(path) has an inline style")
            }
            let missing = try await browser.request(.get, "/khong-co-trang-nay")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("Không tìm thấy trang"))
            // The API keeps its problem documents.
            let api = try await http.execute(uri: "/v1/khong-co", method: .get, headers: [:], body: nil)
            #expect(api.status == .notFound)
            #expect(api.headers[.contentType]?.hasPrefix("application/problem+json") == true)

            let page = try await browser.request(.get, "/tong-quan")
            let href = try #require(page.text.range(of: #"/assets/app\.[0-9a-f]{12}\.css"#, options: .regularExpression).map { String(page.text[$0]) })
            let css = try await browser.request(.get, href)
            #expect(css.status == .ok)
            #expect(css.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(try await browser.request(.get, "/assets/app.000000000000.css").status == .notFound)
        }
    }

    @Test func eachOfficerSeesTheirOwnScopeAndAnotherProvincesUnitsAre404() async throws {
        let web = try await WebWorld.make()
        let (a, b) = (web.world.unitsA, web.world.unitsB)
        try await withLivePages(web.world) { http in
            let unitName = try await Self.unitNames(web.world)
            let scopes: [(String, Int64, [Int64], [Int64])] = [
                // login, own unit, units it may open, units that are 404 for it
                ("canbo.tinh", a.province, [a.district, a.commune, a.otherCommune], [b.province, b.commune]),
                ("canbo.huyen", a.district, [a.commune], [a.province, a.otherDistrict, a.otherCommune, b.province]),
                ("canbo.xa", a.commune, [], [a.province, a.district, a.otherCommune, b.commune]),
                ("xem10", a.province, [a.district], [b.province]),
                ("canbo.yenbai", b.province, [b.commune], [a.province, a.district, a.commune]),
            ]
            for (login, own, allowed, hidden) in scopes {
                let browser = WebClient(http)
                #expect(try await browser.signIn(login).status == .seeOther, "\(login)")
                let home = try await browser.request(.get, "/tong-quan")
                #expect(home.status == .ok, "\(login): \(home.status)")
                #expect(home.text.contains("<h1>\(Self.escaped(unitName[own]!)) "), "\(login) does not see its own unit \(unitName[own]!)")
                for unit in allowed {
                    let page = try await browser.request(.get, "/tong-quan?phase=2021-2025&unit=\(unit)")
                    #expect(page.status == .ok, "\(login) unit \(unit): \(page.status)")
                    #expect(page.text.contains("/tai-ve/tien-do?phase=2021-2025&amp;unit=\(unit)&amp;format=csv"), "\(login) unit \(unit)")
                    #expect(page.text.contains("<h1>\(Self.escaped(unitName[unit]!)) "), "\(login) unit \(unit)")
                }
                for unit in hidden {
                    for path in ["/tong-quan?phase=2021-2025&unit=\(unit)", "/tai-ve/tien-do?phase=2021-2025&format=csv&unit=\(unit)"] {
                        let page = try await browser.request(.get, path)
                        #expect(page.status == .notFound, "\(login) \(path): \(page.status)")
                        #expect(page.text.contains("Không tìm thấy trang"), "\(login) \(path)")
                    }
                }
                #expect(try await browser.request(.get, "/tong-quan?unit=abc").status == .notFound)
                #expect(try await browser.request(.get, "/tai-ve").status == .ok, "\(login)")
                let file = try await browser.request(.get, "/tai-ve/tien-do?phase=2021-2025&format=xlsx")
                #expect(file.status == .ok, "\(login)")
                #expect(file.headers[.contentDisposition] == "attachment; filename=\"tien-do-2021-2025.xlsx\"")
                #expect(file.body.readableBytesView.starts(with: [0x50, 0x4B]), "an xlsx file is a zip")
            }
            // Without a session every page sends to the sign-in page, and comes back after it.
            let stranger = WebClient(http)
            let sent = try await stranger.request(.get, "/tong-quan?phase=2021-2025")
            #expect(sent.status == .seeOther)
            #expect(sent.location == "/dang-nhap?tiep=/tong-quan%3Fphase%3D2021-2025")
            #expect(try await stranger.request(.get, "/tai-ve/tien-do?phase=2021-2025").status == .seeOther)
        }
        await web.world.shutdown()
    }

    @Test func theDashboardShowsTheFiguresWithVietnameseSeparatorsAndTheHostileNameAsText() async throws {
        try await withWebWorld { web, http in
            let commune = try await WebClient.signedIn(http, "canbo.xa")
            let own = try await commune.request(.get, "/tong-quan?phase=2021-2025")
            #expect(own.text.contains("1/1 chỉ tiêu đạt 100%"), "\(own.text)")
            #expect(own.text.contains("3.816"), "3816 is written 3.816")
            #expect(own.text.contains("đã hoàn thành"))
            #expect(own.text.contains("<svg class=\"chart\""))

            let district = try await WebClient.signedIn(http, "canbo.huyen")
            let page = try await district.request(.get, "/tong-quan?phase=2021-2025")
            #expect(page.status == .ok)
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile name is shown as text")
            #expect(!page.text.contains(WebWorld.hostileName))
            // Sorting by rate, highest first, puts the commune that reported above the others.
            let sorted = try await district.request(.get, "/tong-quan?phase=2021-2025&sort=rate&dir=desc")
            let names = try await Self.unitNames(web.world)
            let reported = try #require(sorted.text.range(of: ">\(names[web.world.unitsA.commune]!)</a>"))
            let hostile = try #require(sorted.text.range(of: ">\(Self.escaped(WebWorld.hostileName))</a>"))
            #expect(reported.lowerBound < hostile.lowerBound)

            let province = try await WebClient.signedIn(http, "canbo.tinh")
            // The commune's figure counts in the province's: 3.816 of 424.
            let whole = try await province.request(.get, "/tong-quan?phase=2021-2025")
            #expect(whole.text.contains("1/1 chỉ tiêu đạt 100%"), "\(whole.text)")
            #expect(whole.text.contains("<dd>424 tổ</dd>") && whole.text.contains("<dd>3.816</dd>"), "\(whole.text)")
            let year = try await province.request(.get, "/tong-quan?phase=2021-2025&year=2025")
            #expect(year.status == .ok)
            #expect(year.text.contains("năm 2025"))
        }
    }

    @Test func aFormPostedWithoutItsCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await withWebWorld { web, http in
            let browser = try await WebClient.signedIn(http, "canbo.huyen")
            let token = try #require(browser.cookies["chitieu_session"])
            for form in [[("current_password", testPassword), ("new_password", "mật khẩu mới 2026"), ("new_password_again", "mật khẩu mới 2026")]] {
                let refused = try await browser.request(.post, "/mat-khau", form: form)
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("Biểu mẫu không hợp lệ"))
                let forged = try await browser.request(.post, "/mat-khau", form: [("_csrf", "gia-mao")] + form)
                #expect(forged.status == .forbidden)
            }
            #expect(try await browser.request(.post, "/dang-xuat", form: []).status == .forbidden)
            // Nothing changed: the session lives and the old password still opens a new one.
            let api = APIClient(client: http)
            #expect(try await api.call(.get, "/v1/sessions/current", token: token).status == .ok)
            _ = try await api.login("canbo.huyen")
            // The sign-in form without its token is refused too.
            let stranger = WebClient(http)
            let signIn = try await stranger.request(.post, "/dang-nhap", form: [("username", "canbo.huyen"), ("password", testPassword)])
            #expect(signIn.status == .forbidden)
            #expect(stranger.cookies["chitieu_session"] == nil)
        }
    }

    @Test func changingThePasswordOnThePageEndsTheOtherSessions() async throws {
        try await withWebWorld { web, http in
            let api = APIClient(client: http)
            let elsewhere = try await api.login("canbo.xa")
            let browser = try await WebClient.signedIn(http, "canbo.xa")
            try await browser.request(.get, "/mat-khau")
            let mismatch = try await browser.post(
                "/mat-khau", [("current_password", testPassword), ("new_password", "mật khẩu mới 2026"), ("new_password_again", "khác hẳn 2026")])
            #expect(mismatch.status == .unprocessableContent)
            #expect(mismatch.text.contains("Hai lần nhập mật khẩu mới không giống nhau"))
            let wrong = try await browser.post(
                "/mat-khau", [("current_password", "sai mật khẩu"), ("new_password", "mật khẩu mới 2026"), ("new_password_again", "mật khẩu mới 2026")])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("Mật khẩu hiện tại không đúng"))
            let short = try await browser.post("/mat-khau", [("current_password", testPassword), ("new_password", "ngắn"), ("new_password_again", "ngắn")])
            #expect(short.text.contains("ít nhất 10 ký tự"))
            #expect(try await api.call(.get, "/v1/sessions/current", token: elsewhere).status == .ok, "a refused change ends nothing")

            let done = try await browser.post(
                "/mat-khau", [("current_password", testPassword), ("new_password", "mật khẩu mới 2026"), ("new_password_again", "mật khẩu mới 2026")])
            #expect(done.status == .seeOther)
            let notice = try await browser.request(.get, try #require(done.location))
            #expect(notice.text.contains("Các phiên đăng nhập khác của tài khoản này"))
            #expect(try await api.call(.get, "/v1/sessions/current", token: elsewhere).status == .unauthorized)
            #expect(try await browser.request(.get, "/tong-quan").status == .ok, "this session stays")
            _ = try await api.login("canbo.xa", password: "mật khẩu mới 2026")
        }
    }

    @Test func thePasswordRouteChecksTheCurrentPasswordAndTheNewOne() async throws {
        try await withWebWorld { web, http in
            let api = APIClient(client: http)
            let token = try await api.login("canbo.tinh")
            let other = try await api.login("canbo.tinh")
            let wrong = try await api.call(
                .post, "/v1/sessions/current/password", token: token, json: ["current_password": "sai", "new_password": "mật khẩu mới 2026"])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("current_password"))
            let weak = try await api.call(
                .post, "/v1/sessions/current/password", token: token, json: ["current_password": testPassword, "new_password": "ngắn"])
            #expect(weak.status == .unprocessableContent)
            #expect(weak.text.contains("new_password"))
            #expect(try await api.call(.get, "/v1/sessions/current", token: other).status == .ok)
            let done = try await api.call(
                .post, "/v1/sessions/current/password", token: token, json: ["current_password": testPassword, "new_password": "mật khẩu mới 2026"])
            #expect(done.status == .ok, "\(done.text)")
            #expect((done.json["sessions_ended"] as? NSNumber)?.intValue == 1)
            #expect(try await api.call(.get, "/v1/sessions/current", token: other).status == .unauthorized)
            #expect(try await api.call(.get, "/v1/sessions/current", token: token).status == .ok)
            await #expect(throws: (any Error).self) { _ = try await api.login("canbo.tinh") }
            _ = try await api.login("canbo.tinh", password: "mật khẩu mới 2026")
        }
    }

    @Test func theExportRouteServesTheWorkbookAndCSV() async throws {
        try await withWebWorld { web, http in
            let api = APIClient(client: http)
            let token = try await api.login("canbo.huyen")
            let csv = try await api.call(.get, "/v1/progress/export?phase=2021-2025&format=csv", token: token)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"tien-do-2021-2025.csv\"")
            #expect(csv.text.contains("Mã chỉ tiêu,Tên chỉ tiêu"))
            #expect(csv.text.contains("3816"))
            let xlsx = try await api.call(.get, "/v1/progress/export?phase=2021-2025&year=2025", token: token)
            #expect(xlsx.status == .ok)
            #expect(xlsx.headers[.contentDisposition] == "attachment; filename=\"tien-do-2021-2025-2025.xlsx\"")
            #expect(try await api.call(.get, "/v1/progress/export?phase=2021-2025&unit_id=\(web.world.unitsB.province)", token: token).status == .notFound)
            #expect(try await api.call(.get, "/v1/progress/export?format=pdf&phase=2021-2025", token: token).status == .unprocessableContent)
        }
    }

    /// The names of the units of both provinces, by id.
    static func unitNames(_ world: AccessWorld) async throws -> [Int64: String] {
        let su = try await world.db.superuserConnection()
        let rows = try await su.query("SELECT unit_id, name FROM chitieu.admin_unit")
        await su.close()
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1)) })
    }

    /// Text as Mustache escapes it.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// The result pages over HTTP: Nhập kết quả, Kết quả, Duyệt, Tình hình báo cáo — for every role
/// as the policy says, CSRF, errors beside the fields, one result for a form sent twice, and a
/// result reported, approved, returned, edited and resubmitted through the forms.
@Suite("The result pages")
struct WebResultPagesTests {
    /// The page world, with an indicator broken down by sex whose members are counted too.
    static func world() async throws -> (WebWorld, Int64) {
        let web = try await WebWorld.make()
        return (web, try await addClubs(web))
    }

    /// Runs `body` against the pages of a fresh `world()`, then shuts it down.
    static func withPages(_ body: @escaping @Sendable (WebWorld, Int64, any TestClientProtocol) async throws -> Void) async throws {
        let (web, clubs) = try await world()
        try await withLivePages(web.world) { http in try await body(web, clubs, http) }
        await web.world.shutdown()
    }

    /// Adds Lào Cai's clubs (DA8-02): counted by sex, with their members; returns its id.
    static func addClubs(_ web: WebWorld) async throws -> Int64 {
        try await IndicatorStore(database: web.world.app).add(
            IndicatorDraft(
                code: "DA8-02", name: "Câu lạc bộ thủ lĩnh của sự thay đổi", measureUnit: "câu lạc bộ", kind: .flow,
                disaggregation: ["sex": ["nữ", "nam"]], companionMeasure: "thành viên"),
            province: web.world.a.id, caller: .command("test")).id
    }

    static func count(_ web: WebWorld, _ sql: String) async throws -> Int {
        let su = try await web.world.db.superuserConnection()
        let n = try await su.query(PostgresQuery(unsafeSQL: sql))[0].decode(Int.self, at: 0)
        await su.close()
        return n
    }

    /// The first result id a page links to.
    static func resultID(in location: String?) -> String? {
        guard let location, let range = location.range(of: "/ket-qua/") else { return nil }
        return String(location[range.upperBound...].prefix(36))
    }

    @Test func everyPageAnswersEachRoleAsThePolicySays() async throws {
        let (web, _) = try await Self.world()
        let w = web.world
        let su = try await w.db.superuserConnection()
        let approved = try await su.query(
            "SELECT result_id FROM chitieu.result WHERE province_id = \(w.a.id) LIMIT 1")[0].decode(UUID.self, at: 0).uuidString.lowercased()
        await su.close()
        try await withLivePages(w) { http in
            let cases: [(String, [String: HTTPResponse.Status])] = [
                ("/ket-qua/nhap", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .ok, "xem10": .forbidden, "canbo.yenbai": .ok]),
                ("/ket-qua/nhap?unit=\(w.unitsA.commune)", ["canbo.huyen": .ok, "canbo.xa": .ok, "canbo.yenbai": .notFound]),
                ("/ket-qua/nhap?unit=\(w.unitsA.otherCommune)", ["canbo.huyen": .notFound, "canbo.tinh": .ok]),
                ("/ket-qua", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .ok, "xem10": .ok, "canbo.yenbai": .ok]),
                ("/ket-qua?don_vi=\(w.unitsA.district)", ["canbo.huyen": .ok, "canbo.xa": .notFound, "canbo.yenbai": .notFound]),
                ("/ket-qua/\(approved)", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .ok, "xem10": .ok, "canbo.yenbai": .notFound]),
                ("/ket-qua/khong-phai-ma", ["canbo.tinh": .notFound]),
                ("/duyet", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .ok, "xem10": .ok, "canbo.yenbai": .ok]),
                ("/tinh-hinh-bao-cao", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .ok, "xem10": .ok, "canbo.yenbai": .ok]),
                ("/tinh-hinh-bao-cao?unit=\(w.unitsA.district)", ["canbo.tinh": .ok, "canbo.huyen": .ok, "canbo.xa": .notFound, "canbo.yenbai": .notFound]),
            ]
            for user in ["canbo.tinh", "canbo.huyen", "canbo.xa", "xem10", "canbo.yenbai"] {
                let browser = WebClient(http)
                try await browser.signIn(user)
                for (path, answers) in cases {
                    guard let want = answers[user] else { continue }
                    let page = try await browser.request(.get, path)
                    #expect(page.status == want, "\(user) \(path): \(page.status)")
                }
            }
            // A unit named <script> is text on the completeness page.
            let browser = try await WebClient.signedIn(http, "canbo.huyen")
            let page = try await browser.request(.get, "/tinh-hinh-bao-cao")
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.text.contains(WebWorld.hostileName))
        }
        await w.shutdown()
    }

    @Test func aFormWithoutItsTokenChangesNothingAndErrorsKeepWhatWasTyped() async throws {
        try await Self.withPages { web, clubs, http in
            let w = web.world
            let browser = try await WebClient.signedIn(http, "canbo.xa")
            let form = try await browser.request(.get, "/ket-qua/nhap?unit=\(w.unitsA.commune)&indicator=\(clubs)")
            #expect(form.status == .ok)
            for label in ["<label for=\"period\">", "<label for=\"value\">", "<label for=\"b-0-0\">nữ</label>", "<label for=\"b-0-1\">nam</label>", "<label for=\"companion_value\">", "<label for=\"note\">"] {
                #expect(form.text.contains(label), "\(label)")
            }
            let key = try #require(WebClient.hidden("idem", in: form.text))
            let before = try await Self.count(web, "SELECT count(*)::int FROM chitieu.result")
            let fields = [
                ("unit", String(w.unitsA.commune)), ("indicator", String(clubs)), ("period", "2025-Q3"), ("idem", key), ("value", "3"),
                ("b-0-0", "1"), ("b-0-1", "1"), ("companion_value", "27"), ("note", "Biên bản họp ngày 12/9"), ("action", "submit"),
            ]
            let refused = try await browser.request(.post, "/ket-qua/nhap", form: fields)
            #expect(refused.status == .forbidden)
            #expect(try await Self.count(web, "SELECT count(*)::int FROM chitieu.result") == before)

            // Two by sex that do not add up to 3: the error beside the breakdown, and everything typed kept.
            let wrong = try await browser.post("/ket-qua/nhap", fields)
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("Tổng theo giới tính là 2, chưa bằng giá trị (3)."), "\(wrong.text)")
            #expect(wrong.text.contains("value=\"3\"") && wrong.text.contains("value=\"27\"") && wrong.text.contains("Biên bản họp ngày 12/9"))
            #expect(wrong.text.contains("<option value=\"2025-Q3\" selected>"))
            let letters = try await browser.post("/ket-qua/nhap", fields.map { $0.0 == "value" ? ("value", "ba") : $0 })
            #expect(letters.status == .unprocessableContent)
            #expect(letters.text.contains("Giá trị phải là số nguyên") && letters.text.contains("value=\"ba\""))
            #expect(try await Self.count(web, "SELECT count(*)::int FROM chitieu.result") == before)
        }
    }

    @Test func aResultIsReportedOnceApprovedReturnedEditedAndResubmitted() async throws {
        try await Self.withPages { web, clubs, http in
            let w = web.world
            let commune = try await WebClient.signedIn(http, "canbo.xa")
            let form = try await commune.request(.get, "/ket-qua/nhap?unit=\(w.unitsA.commune)&indicator=\(clubs)")
            let key = try #require(WebClient.hidden("idem", in: form.text))
            let fields = [
                ("unit", String(w.unitsA.commune)), ("indicator", String(clubs)), ("period", "2025-Q3"), ("idem", key), ("value", "3"),
                ("b-0-0", "1"), ("b-0-1", "2"), ("companion_value", "27"), ("note", "Biên bản"), ("action", "submit"),
            ]
            let first = try await commune.post("/ket-qua/nhap", fields)
            #expect(first.status == .seeOther, "\(first.text)")
            // Pressed twice, or reloaded: the same result.
            let second = try await commune.post("/ket-qua/nhap", fields)
            #expect(second.status == .seeOther && second.location == first.location)
            #expect(try await Self.count(web, "SELECT count(*)::int FROM chitieu.result WHERE idempotency_key = '\(key)'") == 1)
            let id = try #require(Self.resultID(in: first.location))
            let shown = try await commune.request(.get, "/ket-qua/\(id)?da=gui")
            #expect(shown.text.contains("Đã gửi duyệt.") && shown.text.contains("Quý III/2025") && shown.text.contains("nữ 1, nam 2"))
            #expect(shown.text.contains("Cán bộ canbo.xa đã nhập và gửi duyệt kết quả 3 câu lạc bộ của ") && shown.text.contains(" (quý III/2025).</li>"), "\(shown.text)")
            // Its own officer is offered no decision on it; the district's is.
            #expect(!shown.text.contains("Duyệt kết quả này") && !shown.text.contains("/tra-lai"), "\(shown.text)")

            // The district's inbox shows it; approved with one POST.
            let district = try await WebClient.signedIn(http, "canbo.huyen")
            let offered = try await district.request(.get, "/ket-qua/\(id)")
            #expect(offered.text.contains("Duyệt kết quả này") && offered.text.contains("/ket-qua/\(id)/tra-lai"))
            let inbox = try await district.request(.get, "/duyet")
            #expect(inbox.text.contains("value=\"\(id):1\""))
            let approved = try await district.post("/duyet", [("chon", "\(id):1")])
            #expect(approved.status == .seeOther && approved.location == "/duyet?da_duyet=1")
            #expect(try await Self.count(web, "SELECT count(*)::int FROM chitieu.result WHERE result_id = '\(id)' AND state = 'approved'") == 1)

            // Another result, returned without a reason (refused beside the field), then with one; edited and resubmitted.
            let again = try await commune.request(.get, "/ket-qua/nhap?unit=\(w.unitsA.commune)&indicator=\(clubs)")
            let other = try await commune.post("/ket-qua/nhap", fields.map {
                $0.0 == "idem" ? ("idem", WebClient.hidden("idem", in: again.text) ?? "") : $0.0 == "period" ? ("period", "2025-Q2") : $0
            })
            let otherID = try #require(Self.resultID(in: other.location))
            let noReason = try await district.post("/ket-qua/\(otherID)/tra-lai", [("version", "1"), ("reason", "")])
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("Hãy ghi lý do trả lại"))
            let returned = try await district.post("/ket-qua/\(otherID)/tra-lai", [("version", "1"), ("reason", "Thiếu danh sách thành viên")])
            #expect(returned.status == .seeOther)
            let edit = try await commune.request(.get, "/ket-qua/\(otherID)/sua")
            #expect(edit.status == .ok && edit.text.contains("Thiếu danh sách thành viên"))
            let version = try #require(WebClient.hidden("version", in: edit.text))
            let resubmitted = try await commune.post("/ket-qua/\(otherID)/sua", [
                ("version", version), ("period", "2025-Q2"), ("value", "4"), ("b-0-0", "2"), ("b-0-1", "2"), ("companion_value", "30"),
                ("note", "Đã bổ sung danh sách"), ("action", "submit"),
            ])
            #expect(resubmitted.status == .seeOther, "\(resubmitted.text)")
            #expect(try await Self.count(web, "SELECT count(*)::int FROM chitieu.result WHERE result_id = '\(otherID)' AND state = 'submitted' AND value = 4") == 1)
            let history = try await commune.request(.get, "/ket-qua/\(otherID)")
            // The history in the audit log's sentences (AuditSentence), with the officers' names.
            #expect(history.text.contains("Cán bộ canbo.huyen đã trả lại kết quả ") && history.text.contains(": “Thiếu danh sách thành viên”"), "\(history.text)")
            #expect(history.text.contains("Cán bộ canbo.xa đã sửa kết quả 4 "), "\(history.text)")

            // The completeness page counts the commune's clubs as reported.
            let province = try await WebClient.signedIn(http, "canbo.tinh")
            let completeness = try await province.request(.get, "/tinh-hinh-bao-cao?phase=2021-2025&year=2025&unit=\(w.unitsA.commune)")
            #expect(completeness.status == .ok)
            #expect(completeness.text.contains("Câu lạc bộ thủ lĩnh của sự thay đổi</a> <span class=\"muted\">DA8-02</span> <span class=\"state approved\">Đã duyệt</span>"), "\(completeness.text)")
        }
    }
}

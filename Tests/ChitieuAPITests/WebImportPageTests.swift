import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("The import page over HTTP")
struct WebImportPageTests {
    /// A results file of one row: the unit, DA8-01, 2026-Q1 and the value as typed.
    static func file(_ code: String, value: String) -> Data {
        Data("Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Kỳ báo cáo [period],Giá trị [value]\n\(code),DA8-01,2026-Q1,\(value)\n".utf8)
    }

    /// The results and kept uploads of Lào Cai.
    static func counts(_ web: WebWorld) async throws -> (results: Int, uploads: Int) {
        let su = try await web.world.db.superuserConnection()
        let row = try await su.query(
            """
            SELECT (SELECT count(*) FROM chitieu.result WHERE province_id = \(web.world.a.id)),
                   (SELECT count(*) FROM chitieu.import_upload WHERE province_id = \(web.world.a.id))
            """)[0]
        await su.close()
        return (Int(try row.decode(Int64.self, at: 0)), Int(try row.decode(Int64.self, at: 1)))
    }

    /// The commune's code, from the template the page downloads for canbo.xa.
    static func communeCode(_ browser: WebClient) async throws -> String {
        let template = try await browser.request(.get, "/nhap-excel/mau?kind=results&period=2026-Q1&level=commune&format=csv")
        #expect(template.status == .ok && template.headers[.contentType] == "text/csv; charset=utf-8", "\(template.text.prefix(300))")
        let lines = template.text.split(whereSeparator: \.isNewline)
        #expect(lines.count == 2, "\(template.text)")
        return String(lines[1].split(separator: ",")[0])
    }

    @Test func aProblemsColumnIsNamedInVietnamese() {
        #expect(ImportColumn.title(of: "value") == "Giá trị")
        #expect(ImportColumn.title(of: "breakdown.sex.nữ") == "Giới tính: nữ")
        #expect(ImportColumn.title(of: "breakdown.sex") == "Phân tổ theo giới tính")
        #expect(ImportColumn.title(of: "companion_breakdown") == "Đi kèm – phân tổ")
        #expect(ImportColumn.title(of: "") == nil && ImportColumn.title(of: "unit") == nil)
    }

    @Test func thePageIsForThoseWhoMaySubmitResultsOrSetTargets() async throws {
        try await withWebWorld { web, http in
            for login in ["canbo.tinh", "canbo.huyen", "canbo.xa", "canbo.yenbai"] {
                let browser = try await WebClient.signedIn(http, login, at: "/tong-quan")
                let page = try await browser.request(.get, "/nhap-excel")
                #expect(page.status == .ok, "\(login): \(page.status)")
                #expect(page.text.contains(#"enctype="multipart/form-data""#) && page.text.contains(#"href="/nhap-excel""#))
                let xlsx = try await browser.request(.get, "/nhap-excel/mau?kind=results&period=2026&level=commune")
                #expect(xlsx.status == .ok && xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            }
            let viewer = try await WebClient.signedIn(http, "xem10", at: "/tong-quan")
            #expect(!(try await viewer.request(.get, "/tong-quan")).text.contains(#"href="/nhap-excel""#))
            for path in ["/nhap-excel", "/nhap-excel/mau?kind=results&period=2026"] {
                #expect(try await viewer.request(.get, path).status == .forbidden)
            }
        }
    }

    @Test func theDryRunWritesNothingAndAConfirmationWritesOnce() async throws {
        try await withWebWorld { web, http in
            let browser = try await WebClient.signedIn(http, "canbo.xa", at: "/nhap-excel")
            let code = try await Self.communeCode(browser)
            let before = try await Self.counts(web)

            let wrong = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "results"], file: Self.file(code, value: "abc"), filename: "sai.csv")
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("Có 1 dòng lỗi") && wrong.text.contains("<td class=\"num\">2</td><td>D · Giá trị</td>"), "\(wrong.text)")
            #expect(WebClient.hidden("upload", in: wrong.text) == nil)

            let dry = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "results"], file: Self.file(code, value: "4"), filename: "dung.csv")
            #expect(dry.status == .ok && dry.text.contains("Sẽ ghi mới <strong>1</strong> dòng"), "\(dry.text)")
            let upload = try #require(WebClient.hidden("upload", in: dry.text))
            #expect(try await Self.counts(web).results == before.results)

            let done = try await browser.post("/nhap-excel/nhap", [("upload", upload), ("state", "submitted")])
            #expect(done.status == .ok && done.text.contains("Đã nhập 1 dòng (đã gửi duyệt)"), "\(done.text)")
            #expect(done.text.contains(#"href="/ket-qua""#) && done.text.contains(#"href="/tong-quan""#))
            #expect(try await Self.counts(web).results == before.results + 1)
            let again = try await browser.post("/nhap-excel/nhap", [("upload", upload), ("state", "submitted")])
            #expect(again.status == .ok && again.text.contains("Không có gì mới để nhập: 1 dòng đã có từ trước"), "\(again.text)")
            #expect(try await Self.counts(web).results == before.results + 1)

            // Only the account that uploaded the file may import it: another officer's, another province's, a made-up id: 404.
            for login in ["canbo.huyen", "canbo.yenbai"] {
                let other = try await WebClient.signedIn(http, login, at: "/nhap-excel")
                #expect(try await other.post("/nhap-excel/nhap", [("upload", upload)]).status == .notFound, "\(login)")
            }
            #expect(try await browser.post("/nhap-excel/nhap", [("upload", UUID().uuidString)]).status == .notFound)
            #expect(try await browser.post("/nhap-excel/nhap", [("upload", "khong-phai-uuid")]).status == .notFound)
        }
    }

    @Test func aTargetsFileOfThePhaseIsCheckedAgainstTheStoredTargets() async throws {
        try await withWebWorld { web, http in
            let browser = try await WebClient.signedIn(http, "canbo.tinh", at: "/nhap-excel")
            let template = try await browser.request(.get, "/nhap-excel/mau?kind=targets&phase=2021-2025&level=district&format=csv")
            #expect(template.status == .ok && template.text.contains("Chỉ tiêu giao [target]"), "\(template.text.prefix(300))")
            let same = try await browser.upload(
                "/nhap-excel/kiem-tra", ["kind": "targets", "phase": "2021-2025"], file: Data(template.body.readableBytesView), filename: "chi-tieu.csv")
            // The allocated targets become assigned ones: each row is new once, then nothing is.
            #expect(same.status == .ok && same.text.contains("Sẽ ghi mới <strong>"), "\(same.text)")
            let upload = try #require(WebClient.hidden("upload", in: same.text))
            let done = try await browser.post("/nhap-excel/nhap", [("upload", upload)])
            #expect(done.status == .ok && done.text.contains("Đã nhập ") && !done.text.contains("bản nháp"), "\(done.text)")
            let again = try await browser.upload(
                "/nhap-excel/kiem-tra", ["kind": "targets", "phase": "2021-2025"], file: Data(template.body.readableBytesView), filename: "chi-tieu.csv")
            #expect(again.status == .ok && again.text.contains("đã được nhập từ trước: không có gì mới để ghi"), "\(again.text)")
            #expect(WebClient.hidden("upload", in: again.text) == nil)
            let noPhase = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "targets", "phase": ""], file: Data("a,b\n".utf8), filename: "a.csv")
            #expect(noPhase.status == .unprocessableContent && noPhase.text.contains("Hãy chọn giai đoạn"))
            let notAFile = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "results"], file: Data([0x89, 0x50, 0x4E, 0x47, 0, 0xFF]), filename: "anh.png")
            #expect(notAFile.status == .unprocessableContent && notAFile.text.contains("class=\"errors\""), "\(notAFile.text)")
        }
    }

    @Test func anUploadWithoutItsCSRFTokenOrTooLargeChangesNothing() async throws {
        try await withWebWorld { web, http in
            let browser = try await WebClient.signedIn(http, "canbo.xa", at: "/nhap-excel")
            let code = try await Self.communeCode(browser)
            let before = try await Self.counts(web)
            let refused = try await browser.upload(
                "/nhap-excel/kiem-tra", ["kind": "results"], file: Self.file(code, value: "4"), filename: "a.csv", csrf: false)
            #expect(refused.status == .forbidden && refused.text.contains("Biểu mẫu không hợp lệ"))
            let forged = try await browser.upload(
                "/nhap-excel/kiem-tra", ["kind": "results", "_csrf": "gia-mao"], file: Self.file(code, value: "4"), filename: "a.csv", csrf: false)
            #expect(forged.status == .forbidden)
            let dry = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "results"], file: Self.file(code, value: "4"), filename: "a.csv")
            let upload = try #require(WebClient.hidden("upload", in: dry.text))
            #expect(try await browser.request(.post, "/nhap-excel/nhap", form: [("upload", upload)]).status == .forbidden)
            let huge = try await browser.upload("/nhap-excel/kiem-tra", ["kind": "results"], file: Data(repeating: 0x41, count: 11 << 20), filename: "to.csv")
            #expect(huge.status == .contentTooLarge && huge.text.contains("Tệp quá lớn"), "\(huge.text.prefix(500))")
            let after = try await Self.counts(web)
            #expect(after.results == before.results && after.uploads == before.uploads + 1)
        }
    }
}

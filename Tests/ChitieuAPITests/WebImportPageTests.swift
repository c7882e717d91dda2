import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Nhập từ Excel over HTTP, without a browser: the template, an upload with an error row, the
/// file fixed, the dry run's confirmation, the import.
@Suite("The import page")
struct WebImportPageTests {
    static let boundary = "----chitieu-page-upload"

    /// Posts a multipart form with the browser's cookies and CSRF token (unless `csrf` is false).
    static func upload(_ browser: WebClient, _ fields: [(String, String)], file: String?, csrf: Bool = true) async throws -> WebClient.Page {
        var body = ""
        for (name, value) in (csrf ? [("_csrf", browser.csrf ?? "")] : []) + fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        if let file {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ket-qua.csv\"\r\nContent-Type: text/csv\r\n\r\n\(file)\r\n"
        }
        body += "--\(boundary)--\r\n"
        var headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)", .accept: "text/html"]
        headers[.cookie] = browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        let response = try await browser.client.execute(uri: "/nhap-excel", method: .post, headers: headers, body: ByteBuffer(string: body))
        let page = WebClient.Page(status: response.status, headers: response.headers, body: response.body)
        if let token = WebClient.hidden("_csrf", in: page.text) { browser.csrf = token }
        return page
    }

    @Test func aCommuneOfficerDownloadsTheTemplateSeesTheErrorRowFixesItAndImports() async throws {
        let web = try await WebWorld.make()
        try await withLivePages(web.world) { http in
            let browser = WebClient(http)
            try await browser.signIn("canbo.xa")
            let page = try await browser.request(.get, "/nhap-excel")
            #expect(page.status == .ok && page.text.contains("Nhập từ Excel") && page.text.contains("enctype=\"multipart/form-data\""))
            let template = try await browser.request(.get, "/nhap-excel/mau?period=2026-Q1&level=commune&format=csv")
            #expect(template.status == .ok && template.text.contains("Mã đơn vị [unit_code]"))
            let lines = template.text.split(whereSeparator: \.isNewline)
            #expect(lines.count == 2, "\(template.text)")
            let code = String(lines[1].split(separator: ",")[0])
            let header = "Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Kỳ báo cáo [period],Giá trị [value]\n"

            let refused = try await Self.upload(browser, [("trang_thai", "submitted")], file: header + "\(code),DA8-01,2026-Q1,ba\n")
            #expect(refused.status == .ok)
            #expect(refused.text.components(separatedBy: "class=\"import-problem\"").count == 2, "\(refused.text)")
            #expect(refused.text.contains("Giá trị phải là số nguyên"))

            let checked = try await Self.upload(browser, [("trang_thai", "submitted")], file: header + "\(code),DA8-01,2026-Q1,3\n")
            #expect(checked.text.contains("Tệp hợp lệ") && checked.text.contains("sẽ ghi 1 kết quả"), "\(checked.text)")
            let bytes = try #require(WebClient.hidden("tep", in: checked.text))
            let imported = try await Self.upload(browser, [("tep", bytes), ("trang_thai", "submitted"), ("buoc", "nhap")], file: nil)
            #expect(imported.text.contains("Đã nhập 1 kết quả (đã gửi duyệt)"), "\(imported.text)")
            let again = try await Self.upload(browser, [("tep", bytes), ("trang_thai", "submitted"), ("buoc", "nhap")], file: nil)
            #expect(again.text.contains("Đã nhập 0 kết quả") && again.text.contains("1 dòng đã có từ trước"))

            let forged = try await Self.upload(browser, [("tep", bytes), ("buoc", "nhap")], file: nil, csrf: false)
            #expect(forged.status == .forbidden)
        }
        await web.world.shutdown()
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import NIOCore

/// Nhập từ Excel: the results template to download, the filled file uploaded and checked (a dry
/// run listing every row's problem), then imported on "Nhập". The confirmation posts the same
/// bytes again (in a hidden field of its multipart form) rather than keeping them on the server:
/// nothing to store, expire or clean up, and the import checks every row again anyway.
struct ImportsPageController {
    let services: WebServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("nhap-excel") { _, context in try page(context, values: [:]) }
        group.get("nhap-excel/mau") { request, context in
            let (caller, province) = try context.province()
            let query = WebQuery(request)
            guard let period = query["period"].flatMap({ ReportingPeriod(code: $0) }) else { throw WebError.notFound }
            let level = query["level"].flatMap(UnitLevel.init(rawValue:)) ?? .commune
            let template = try await ImportStore(database: services.database).resultsTemplate(
                province: province, period: period, level: level, caller: caller)
            let file = template.file(query["format"].flatMap(ImportTemplate.Format.init(rawValue:)) ?? .xlsx)
            var headers = HTTPFields()
            headers[.contentType] = file.contentType
            headers[.contentDisposition] = "attachment; filename=\"\(file.filename)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
        }
        group.post("nhap-excel") { _, context in try await upload(context) }
    }

    static let template = WebTemplate("""
        <h1>Nhập từ Excel</h1>
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        {{#hasProblems}}<div class="card"><h2>Tệp có {{problemCount}} dòng lỗi; chưa có dữ liệu nào được nhập</h2>
        <table><thead><tr><th>Dòng</th><th>Cột</th><th>Lỗi</th></tr></thead><tbody>
        {{#problems}}<tr class="import-problem"><td>{{row}}</td><td>{{column}}</td><td>{{message}}</td></tr>{{/problems}}
        </tbody></table><p>Sửa các dòng trên trong tệp rồi tải tệp lên lại.</p></div>{{/hasProblems}}
        {{#confirm}}<div class="card"><h2>Tệp hợp lệ</h2><p>{{rows}} dòng có số liệu: sẽ ghi {{recorded}} kết quả ({{state}}), {{unchanged}} dòng đã có từ trước.</p>
        <form method="post" action="/nhap-excel" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="tep" value="{{file}}">
        <input type="hidden" name="trang_thai" value="{{stateValue}}"><input type="hidden" name="buoc" value="nhap">
        <button type="submit">Nhập</button></form></div>{{/confirm}}
        <div class="card"><h2>1. Tải tệp mẫu</h2>
        <form class="filters" method="get" action="/nhap-excel/mau">
        <div class="field"><label for="period">Kỳ báo cáo</label> <input id="period" name="period" value="{{period}}" placeholder="2026-Q1"></div>
        <div class="field"><label for="level">Cấp</label> <select id="level" name="level"><option value="commune">Xã</option><option value="district">Huyện</option><option value="province">Tỉnh</option></select></div>
        <div class="field"><label for="format">Định dạng</label> <select id="format" name="format"><option value="xlsx">Excel (.xlsx)</option><option value="csv">CSV</option></select></div>
        <button type="submit">Tải tệp mẫu</button></form>
        <p>Kỳ báo cáo ghi như 2026, 2026-H1, 2026-Q1 hoặc 2026-07. Mỗi dòng là một đơn vị và một chỉ tiêu; dòng để trống giá trị sẽ được bỏ qua.</p></div>
        <div class="card"><h2>2. Tải tệp đã điền lên để kiểm tra</h2>
        <form method="post" action="/nhap-excel" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <div class="field"><label for="file">Tệp (.xlsx hoặc .csv, tối đa 10 MB)</label> <input id="file" type="file" name="file" accept=".xlsx,.csv" required></div>
        <div class="field"><label for="trang_thai">Ghi kết quả là</label> <select id="trang_thai" name="trang_thai"><option value="draft">Bản nháp</option><option value="submitted">Đã gửi duyệt</option></select></div>
        <button type="submit">Kiểm tra</button></form></div>
        """)

    func page(_ context: AppRequestContext, values: [String: Any]) throws -> Response {
        _ = try context.province()
        var values = values
        values["csrf"] = context.bearer.map(WebSession.csrfToken) ?? ""
        let today = Date()
        let year = Calendar(identifier: .gregorian).component(.year, from: today)
        values["period"] = values["period"] ?? "\(year)"
        return WebLayout.response(WebPage(title: "Nhập từ Excel", section: .imports, body: Self.template.render(values)), context: context)
    }

    /// A dry run of the uploaded file, or (`buoc=nhap`) its import.
    func upload(_ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let form = context.form ?? WebForm(fields: [])
        let bytes: Data
        if let upload = context.upload, upload.readableBytes > 0 {
            bytes = Data(upload.readableBytesView)
        } else if let encoded = form["tep"], let decoded = Data(base64Encoded: encoded) {
            bytes = decoded
        } else {
            return try page(context, values: ["notice": "Hãy chọn tệp để tải lên."])
        }
        let submit = form["trang_thai"] == "submitted"
        let importing = form["buoc"] == "nhap"
        let report: ImportReport
        do {
            report = try await ImportStore(database: services.database).importResults(
                province: province, file: bytes, submit: submit, dryRun: !importing, caller: caller)
        } catch let error as ChitieuError where error.code == .invalid {
            return try page(context, values: ["notice": error.message(in: .vi)])
        }
        let state = submit ? "đã gửi duyệt" : "bản nháp"
        guard report.accepted else {
            let problems = report.problems.map { ["row": $0.row, "column": $0.column ?? "", "message": $0.error.message(in: .vi)] as [String: Any] }
            return try page(context, values: ["hasProblems": true, "problemCount": problems.count, "problems": problems])
        }
        if importing {
            let notice = "Đã nhập \(WebFormat.integer(report.recorded)) kết quả (\(state)); \(WebFormat.integer(report.unchanged)) dòng đã có từ trước."
            return try page(context, values: ["notice": notice])
        }
        return try page(context, values: ["confirm": [
            "rows": WebFormat.integer(report.rows), "recorded": WebFormat.integer(report.recorded), "unchanged": WebFormat.integer(report.unchanged),
            "state": state, "stateValue": submit ? "submitted" : "draft", "file": bytes.base64EncodedString(),
            "csrf": context.bearer.map(WebSession.csrfToken) ?? "",
        ] as [String: Any]])
    }
}

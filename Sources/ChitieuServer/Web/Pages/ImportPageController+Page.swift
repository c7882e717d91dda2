import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird

extension ImportPageController {
    static let template = WebTemplate("""
        <h1>Nhập từ Excel</h1>
        {{#report}}
        <section class="card import-report" aria-labelledby="kq-kiem-tra">
        <h2 id="kq-kiem-tra">{{#dryRun}}Kết quả kiểm tra{{/dryRun}}{{^dryRun}}Kết quả nhập{{/dryRun}}</h2>
        <p>Tệp <strong>{{filename}}</strong> ({{kindLabel}}): {{rows}} dòng số liệu.</p>
        {{#hasProblems}}<p class="errors" role="alert">Có {{problemCount}} dòng lỗi; chưa có dữ liệu nào được nhập. Hãy sửa tệp rồi gửi lại.</p>
        <div class="table-wrap"><table class="import-problems">
        <thead><tr><th scope="col">Trang</th><th scope="col" class="num">Dòng</th><th scope="col">Cột</th><th scope="col">Lỗi</th></tr></thead>
        <tbody>{{#problems}}<tr><td>{{sheet}}</td><td class="num">{{row}}</td><td>{{column}}</td><td>{{message}}</td></tr>{{/problems}}</tbody>
        </table></div>
        <p><a href="#nx-gui-tep">Gửi lại tệp đã sửa</a></p>{{/hasProblems}}
        {{#confirm}}<p>Không có lỗi. Sẽ ghi mới <strong>{{recorded}}</strong> dòng; {{unchanged}} dòng đã có từ trước sẽ được giữ nguyên. Chưa có gì được ghi cho đến khi bạn bấm “Nhập”.</p>
        <form method="post" action="/nhap-excel/nhap">{{> csrf}}<input type="hidden" name="upload" value="{{id}}">
        {{#results}}<fieldset><legend>Ghi kết quả dưới dạng</legend>
        <div class="field"><input type="radio" id="nx-nhap" name="state" value="draft" checked> <label for="nx-nhap">Bản nháp (còn sửa được)</label></div>
        <div class="field"><input type="radio" id="nx-gui" name="state" value="submitted"> <label for="nx-gui">Gửi duyệt ngay</label></div>
        </fieldset>{{/results}}
        <button type="submit">Nhập</button>
        </form>{{/confirm}}
        {{#nothingNew}}<p>Không có lỗi, và mọi dòng ({{unchanged}}) đã được nhập từ trước: không có gì mới để ghi.</p>{{/nothingNew}}
        {{#imported}}<p>Xem <a href="/ket-qua">Kết quả</a> hoặc <a href="/tong-quan">Tổng quan</a> (số liệu tổng hợp được cập nhật sau ít phút).</p>{{/imported}}
        </section>
        {{/report}}
        {{#problem}}<div class="errors" role="alert"><p>{{problem}}</p></div>{{/problem}}
        <section class="card" aria-labelledby="nx-mau">
        <h2 id="nx-mau">1. Tải tệp mẫu</h2>
        <p>Tệp mẫu có sẵn các đơn vị trong phạm vi của bạn và các chỉ tiêu, mỗi dòng một đơn vị và một chỉ tiêu; chỉ cần điền số liệu.</p>
        <form class="filters" method="get" action="/nhap-excel/mau">
        <div class="field"><label for="mau-loai">Loại</label> <select id="mau-loai" name="kind"><option value="results">Kết quả</option><option value="targets">Chỉ tiêu</option></select></div>
        <div class="field"><label for="mau-ky">Kỳ báo cáo (kết quả)</label> <input id="mau-ky" name="period" value="{{period}}" size="9" aria-describedby="mau-ky-goi-y"> <span class="muted" id="mau-ky-goi-y">năm, quý, nửa năm hoặc tháng: 2025, 2025-Q3, 2025-H1, 2025-07</span></div>
        <div class="field"><label for="mau-giai-doan">Giai đoạn (chỉ tiêu)</label> <select id="mau-giai-doan" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="mau-cap">Cấp đơn vị</label> <select id="mau-cap" name="level"><option value="commune">Xã</option><option value="district">Huyện</option><option value="province">Tỉnh</option></select></div>
        <div class="field"><label for="mau-chi-tieu">Mã chỉ tiêu</label> <input id="mau-chi-tieu" name="indicators" size="16" placeholder="để trống: tất cả"></div>
        <div class="field"><label for="mau-dinh-dang">Định dạng</label> <select id="mau-dinh-dang" name="format"><option value="xlsx">Excel (.xlsx)</option><option value="csv">CSV</option></select></div>
        <button type="submit" class="secondary">Tải mẫu</button>
        </form>
        </section>
        <section class="card" aria-labelledby="nx-gui-tep">
        <h2 id="nx-gui-tep">2. Gửi tệp để kiểm tra</h2>
        <p>Mỗi dòng được kiểm tra như khi nhập từng kết quả. Nếu có lỗi, không dòng nào được ghi; nếu không, bạn xem lại số dòng rồi bấm “Nhập”. Tệp tối đa {{maximumMB}} MB.</p>
        <form method="post" action="/nhap-excel/kiem-tra" enctype="multipart/form-data">{{> csrf}}
        <div class="field"><label for="gui-loai">Loại</label> <select id="gui-loai" name="kind"><option value="results">Kết quả</option><option value="targets">Chỉ tiêu</option></select></div>
        <div class="field"><label for="gui-giai-doan">Giai đoạn (chỉ tiêu)</label> <select id="gui-giai-doan" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="gui-tep">Tệp (.xlsx hoặc .csv)</label> <input type="file" id="gui-tep" name="file" accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv" required></div>
        <button type="submit">Kiểm tra</button>
        </form>
        </section>
        """)

    /// The page, with a report of a dry run or an import, or a problem with the file.
    func page(
        _ context: AppRequestContext, report: ImportPageReport?, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (caller, province) = try Self.importer(context)
        let phases = try await TargetStore(database: services.database).phases(province: province, caller: caller)
        let today = ResultEntryController.today()
        let current = phases.last(where: { $0.years.contains(today.year) }) ?? phases.last
        var values: [String: Any] = [
            "csrf": context.csrfToken, "period": String(today.year), "maximumMB": WebForm.maximumFileBytes >> 20,
            "phases": phases.map { ["code": $0.code, "selected": $0.code == current?.code] },
        ]
        if let report { values["report"] = report.values }
        if let problem { values["problem"] = problem }
        let failed = report.map { !$0.report.accepted } ?? false
        return WebLayout.response(
            WebPage(
                title: "Nhập từ Excel", section: .imports, body: Self.template.render(values),
                status: failed ? .unprocessableContent : status, notice: report?.notice),
            context: context)
    }
}

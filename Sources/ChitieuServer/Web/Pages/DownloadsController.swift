import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Tải về: the progress workbook and CSV of the officer's scope, the same files as
/// `GET /v1/progress/export` and `chitieu export progress`.
struct DownloadsController {
    let services: WebServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("tai-ve") { request, context in try await page(request, context) }
        group.get("tai-ve/tien-do") { request, context in
            let (caller, province) = try context.province()
            let query = WebQuery(request)
            guard let phase = query["phase"] else { throw WebError.notFound }
            let format = query["format"].flatMap(ProgressExport.Format.init(rawValue:)) ?? .xlsx
            return try await ExportController.file(
                progress: services.progress, targets: TargetStore(database: services.database), province: province, phase: phase,
                year: query.integer("year"), unit: try query.id("unit").map(UnitReference.id), format: format, caller: caller)
        }
    }

    static let template = WebTemplate("""
        <h1>Tải về</h1>
        <div class="card">
        <p>Tiến độ thực hiện chỉ tiêu trong phạm vi của bạn: mỗi chỉ tiêu, mỗi đơn vị (đến cấp xã), chỉ tiêu giao, kết quả đã duyệt và tỷ lệ hoàn thành. Bảng tính Excel có một trang cho mỗi cấp; tệp CSV mở được bằng mọi chương trình bảng tính.</p>
        <form class="filters" method="get" action="/tai-ve/tien-do">
        <div class="field"><label for="phase">Giai đoạn</label> <select id="phase" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="year">Năm</label> <select id="year" name="year"><option value="">Cả giai đoạn</option>{{#years}}<option value="{{.}}">{{.}}</option>{{/years}}</select></div>
        <div class="field"><label for="format">Định dạng</label> <select id="format" name="format"><option value="xlsx">Excel (.xlsx)</option><option value="csv">CSV</option></select></div>
        <button type="submit">Tải về</button>
        </form>
        </div>
        {{#hasPhases}}<h2>Tải nhanh</h2>
        <ul class="downloads">{{#phases}}
        <li>Giai đoạn {{code}}: <a href="/tai-ve/tien-do?phase={{code}}&amp;format=xlsx">Excel (.xlsx)</a> · <a href="/tai-ve/tien-do?phase={{code}}&amp;format=csv">CSV</a></li>
        {{/phases}}</ul>{{/hasPhases}}
        {{^hasPhases}}<p>Tỉnh chưa có giai đoạn nào.</p>{{/hasPhases}}
        """)

    func page(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let phases = try await TargetStore(database: services.database).phases(province: province, caller: caller)
        let years = Array(Set(phases.flatMap(\.years))).sorted()
        let chosen = DashboardController.phase(phases, chosen: WebQuery(request)["phase"])?.code
        let values: [String: Any] = [
            "phases": phases.map { ["code": $0.code, "selected": $0.code == chosen] }, "years": years, "hasPhases": !phases.isEmpty,
        ]
        return WebLayout.response(WebPage(title: "Tải về", section: .downloads, body: Self.template.render(values)), context: context)
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Báo cáo: the province's report of a phase or a year over my scope, ready to print (A4
/// landscape: the print stylesheet leaves out everything but the report) and to download as
/// the workbook. The same report as `GET /v1/reports/province` and `chitieu report province`.
struct ReportPageController {
    let services: WebServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("bao-cao") { request, context in try await page(request: request, context: context) }
        group.get("bao-cao/tai-ve") { request, context in
            let (caller, province) = try context.province()
            let query = WebQuery(request)
            guard let phase = query["phase"] else { throw WebError.notFound }
            let report = try await services.progress.provinceReport(province: province, phaseCode: phase, year: query.integer("year"), caller: caller)
            return ReportsController.download(report)
        }
    }

    func page(request: Request, context: AppRequestContext) async throws -> Response {
        let choice = try await WebPhaseChoice.read(request, context, services: services)
        let (caller, province, query, phases, today) = (choice.caller, choice.province, choice.query, choice.phases, choice.today)
        guard let phase = choice.phase else {
            return WebLayout.response(WebPage(title: "Báo cáo", section: .report, body: Self.emptyTemplate.render([:])), context: context)
        }
        let year = query.integer("year").flatMap { phase.years.contains($0) ? $0 : nil }
        let report = try await services.progress.provinceReport(province: province, phaseCode: phase.code, year: year, caller: caller, date: today)
        var values = Self.values(report)
        values["phases"] = phases.map { ["code": $0.code, "selected": $0.code == phase.code] as [String: Any] }
        values["years"] = phase.years.map { ["year": $0, "selected": $0 == year] as [String: Any] }
        values["wholePhase"] = year == nil
        values["download"] = "/bao-cao/tai-ve" + WebQuery.string([("phase", phase.code), ("year", year.map(String.init))])
        return WebLayout.response(WebPage(title: "Báo cáo \(report.period.lowercased())", section: .report, body: Self.template.render(values)), context: context)
    }

    /// The report's title block and tables, numbers written as officers write them.
    static func values(_ report: ProvinceReport) -> [String: Any] {
        var values: [String: Any] = [
            "province": report.provinceTitle, "programme": ProvinceReport.programme, "project": ProvinceReport.project,
            "heading": ProvinceReport.heading, "period": report.period, "date": WebFormat.date(report.date),
            "completion": report.completion?.text ?? "Chưa có số liệu của kỳ này.", "hasTables": !report.tables.isEmpty,
            "tables": report.tables.map { table in
                [
                    "heading": table.heading,
                    "groups": table.groups.map { group in
                        [
                            "band": table.level != .province, "unit": group.unitName, "completion": group.completion.text,
                            "lines": group.lines.map { line in
                                [
                                    "number": line.number, "name": line.indicatorName, "measure": line.measureUnit,
                                    "target": line.target.map(WebFormat.integer) ?? "—", "achieved": WebFormat.integer(line.achieved),
                                    "rate": line.rate.map(WebFormat.percent) ?? "—", "note": line.note, "status": line.status.rawValue,
                                ] as [String: Any]
                            },
                        ] as [String: Any]
                    },
                ] as [String: Any]
            },
        ]
        if let plan = report.plan { values["plan"] = plan.citation }
        return values
    }

    static let emptyTemplate = WebTemplate("""
        <h1>Báo cáo</h1>
        <div class="card"><p>Tỉnh chưa có giai đoạn nào.</p></div>
        """)

    static let template = WebTemplate("""
        <div class="no-print">
        <form class="filters card" method="get" action="/bao-cao">
        <div class="field"><label for="bc-giai-doan">Giai đoạn</label> <select id="bc-giai-doan" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="bc-nam">Kỳ báo cáo</label> <select id="bc-nam" name="year"><option value=""{{#wholePhase}} selected{{/wholePhase}}>Cả giai đoạn</option>{{#years}}<option value="{{year}}"{{#selected}} selected{{/selected}}>Năm {{year}}</option>{{/years}}</select></div>
        <button type="submit" class="secondary">Xem</button>
        </form>
        <p class="actions"><a class="button" href="{{download}}">Tải về Excel (.xlsx)</a></p>
        <p class="muted">In báo cáo bằng lệnh In của trình duyệt (Ctrl+P): trang in khổ A4 ngang, chỉ có báo cáo.</p>
        </div>
        <article class="report">
        <header class="report-head">
        <p class="report-province">{{province}}</p>
        <p>{{programme}}</p>
        <p>{{project}}</p>
        <h1>{{heading}}</h1>
        <p>{{period}}{{#plan}} <span class="muted">(chỉ tiêu giao theo {{plan}})</span>{{/plan}}</p>
        <p class="report-date">Ngày báo cáo: {{date}}</p>
        </header>
        <p class="headline">{{completion}}</p>
        {{^hasTables}}<p>Chưa có số liệu tiến độ trong phạm vi của bạn cho kỳ này.</p>{{/hasTables}}
        {{#tables}}
        <h2>{{heading}}</h2>
        <div class="table-wrap"><table class="report">
        <colgroup><col class="c-stt"><col class="c-name"><col class="c-measure"><col class="c-num"><col class="c-num"><col class="c-rate"><col class="c-note"></colgroup>
        <thead><tr><th class="num">STT</th><th>Chỉ tiêu</th><th>Đơn vị tính</th><th class="num">Chỉ tiêu giao</th><th class="num">Kết quả đạt được</th><th class="num">Tỷ lệ hoàn thành</th><th>Ghi chú</th></tr></thead>
        {{#groups}}<tbody>
        {{#band}}<tr class="band"><th colspan="7" scope="rowgroup">{{unit}} — {{completion}}</th></tr>{{/band}}
        {{#lines}}<tr><td class="num">{{number}}</td><td>{{name}}</td><td>{{measure}}</td><td class="num">{{target}}</td><td class="num">{{achieved}}</td><td class="num">{{rate}}</td><td class="note {{status}}">{{note}}</td></tr>
        {{/lines}}</tbody>{{/groups}}
        </table></div>
        {{/tables}}
        </article>
        """)
}

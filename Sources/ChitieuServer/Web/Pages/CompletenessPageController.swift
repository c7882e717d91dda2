import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Tình hình báo cáo: for a year or a period of it, which units of my scope have reported each
/// indicator — counts and percentages per level and per unit below, the deadline and days left,
/// the units that have sent nothing; drill down unit by unit. The same numbers as
/// `GET /v1/completeness` and the `reporting.completeness` views.
struct CompletenessPageController {
    let services: WebServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("tinh-hinh-bao-cao") { request, context in try await page(request: request, context: context) }
    }

    func page(request: Request, context: AppRequestContext) async throws -> Response {
        let choice = try await WebPhaseChoice.read(request, context, services: services)
        let (caller, province, query, phases, today) = (choice.caller, choice.province, choice.query, choice.phases, choice.today)
        guard let phase = choice.phase else {
            return WebLayout.response(
                WebPage(title: "Tình hình báo cáo", section: .completeness, body: Self.emptyTemplate.render([:])), context: context)
        }
        let year = query.integer("year").flatMap { phase.years.contains($0) ? $0 : nil } ?? (phase.years.contains(today.year) ? today.year : phase.lastYear)
        let period = query["period"].flatMap(ReportingPeriod.init(code:)).flatMap { $0.year == year ? $0 : nil } ?? .year(year)
        let unit = try query.id("unit")
        let report = try await CompletenessStore(database: services.database).report(
            province: province, phaseCode: phase.code, period: period, unit: unit.map(UnitReference.id), caller: caller)
        let byID = Dictionary(uniqueKeysWithValues: report.units.map { ($0.unitID, $0) })
        func href(_ unit: Int64?) -> String {
            "/tinh-hinh-bao-cao" + WebQuery.string([
                ("phase", phase.code), ("year", String(year)), ("period", period.kind == .year ? nil : period.code), ("unit", unit.map(String.init)),
            ])
        }
        func counts(_ c: CompletenessCounts) -> [String: Any] {
            [
                "indicators": WebFormat.integer(c.indicators), "approved": WebFormat.integer(c.approved), "submitted": WebFormat.integer(c.submitted),
                "returned": WebFormat.integer(c.returned), "draft": WebFormat.integer(c.draft), "nothing": WebFormat.integer(c.nothing),
                "percent": c.reportedPercent.map { WebFormat.percent($0 / 100) } ?? "–", "bar": Int((c.reportedPercent ?? 0).rounded()),
            ]
        }
        var values: [String: Any] = [
            "phase": phase.code, "periodLabel": period.label,
            "phases": phases.map { ["code": $0.code, "selected": $0.code == phase.code] as [String: Any] },
            "years": phase.years.map { ["year": $0, "selected": $0 == year] as [String: Any] },
            "periods": ReportingPeriod.all(of: year).map { p in
                ["code": p.kind == .year ? "" : p.code, "label": p.label, "selected": p == period] as [String: Any]
            },
            "unit": unit.map(String.init) ?? "",
            "levels": report.levels.map { level in
                counts(level.counts).merging([
                    "label": ResultText.level(level.level), "units": WebFormat.integer(level.units),
                    "silent": WebFormat.integer(level.unitsWithoutReports),
                ]) { $1 }
            },
            "silentUnits": report.unitsWithoutReports.prefix(300).map { u in
                ["name": u.name, "href": href(u.unitID), "parent": u.parentID.flatMap { byID[$0]?.name } ?? ""] as [String: Any]
            },
            "silentCount": WebFormat.integer(report.unitsWithoutReports.count),
            "noSilent": report.unitsWithoutReports.isEmpty,
        ]
        if let closes = report.closesOn, let days = report.daysLeft {
            values["deadline"] = WebFormat.date(closes)
            values["daysLeft"] = days > 0 ? "còn \(WebFormat.integer(days)) ngày" : days == 0 ? "hết hạn hôm nay" : "đã quá hạn \(WebFormat.integer(-days)) ngày"
            values["late"] = days < 0
        }
        var sections: [[String: Any]] = []
        for root in report.roots {
            guard let top = byID[root] else { continue }
            var section: [String: Any] = [
                "name": "\(top.name)", "level": ResultText.level(top.level),
                "children": report.children(of: root).filter { $0.units > 0 }.map { child in
                    counts(child.subtree).merging([
                        "name": child.unit.name, "href": href(child.unit.unitID), "units": WebFormat.integer(child.units),
                        "silent": WebFormat.integer(child.unitsWithoutReports),
                    ]) { $1 }
                },
                "cells": report.cells.filter { $0.unitID == root }.map { c in
                    ["indicator": c.indicatorName, "code": c.indicatorCode, "state": c.state.rawValue, "label": c.state.label,
                     "results": c.results, "href": "/ket-qua" + WebQuery.string([("don_vi", String(root)), ("chi_tieu", String(c.indicatorID)), ("nam", String(year))])] as [String: Any]
                },
            ]
            section["hasChildren"] = !(section["children"] as! [[String: Any]]).isEmpty
            section["hasCells"] = !(section["cells"] as! [[String: Any]]).isEmpty
            sections.append(section)
        }
        values["sections"] = sections
        values["up"] = unit != nil ? href(nil) : nil
        let body = Self.template.render(values)
        return WebLayout.response(WebPage(title: "Tình hình báo cáo", section: .completeness, body: body), context: context)
    }

    static let emptyTemplate = WebTemplate("""
        <h1>Tình hình báo cáo</h1>
        <div class="card"><p>Tỉnh chưa có giai đoạn nào.</p></div>
        """)

    static let template = WebTemplate("""
        <h1>Tình hình báo cáo <span class="muted">— {{periodLabel}}</span></h1>
        <form class="filters card" method="get" action="/tinh-hinh-bao-cao">
        <div class="field"><label for="th-giai-doan">Giai đoạn</label> <select id="th-giai-doan" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="th-nam">Năm</label> <select id="th-nam" name="year">{{#years}}<option value="{{year}}"{{#selected}} selected{{/selected}}>{{year}}</option>{{/years}}</select></div>
        <div class="field"><label for="th-ky">Kỳ</label> <select id="th-ky" name="period">{{#periods}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</select></div>
        {{#unit}}<input type="hidden" name="unit" value="{{unit}}">{{/unit}}
        <button type="submit" class="secondary">Xem</button>
        </form>
        {{#deadline}}<p class="deadline{{#late}} late{{/late}}">Hạn nhập kết quả năm: <strong>{{deadline}}</strong> ({{daysLeft}})</p>{{/deadline}}
        {{#up}}<p><a href="{{up}}">↑ Về phạm vi của tôi</a></p>{{/up}}
        <h2>Theo cấp</h2>
        <div class="table-wrap"><table>
        <thead><tr><th scope="col">Cấp</th><th scope="col" class="num">Đơn vị</th><th scope="col" class="num">Chưa gửi gì</th><th scope="col" class="num">Đã duyệt</th><th scope="col" class="num">Đã gửi</th><th scope="col" class="num">Bị trả lại</th><th scope="col" class="num">Nháp</th><th scope="col" class="num">Chưa báo cáo</th><th scope="col" class="num">Đã báo cáo</th></tr></thead>
        <tbody>{{#levels}}<tr><th scope="row">{{label}}</th><td class="num">{{units}}</td><td class="num">{{silent}}</td><td class="num">{{approved}}</td><td class="num">{{submitted}}</td><td class="num">{{returned}}</td><td class="num">{{draft}}</td><td class="num">{{nothing}}</td><td class="num">{{percent}}</td></tr>{{/levels}}</tbody>
        </table></div>
        <p class="muted">Số đếm là số lượt chỉ tiêu × đơn vị; “Đã báo cáo” là tỷ lệ đã gửi hoặc đã duyệt.</p>
        {{#sections}}
        <h2>{{level}} {{name}}</h2>
        {{#hasCells}}<ul class="cells">{{#cells}}<li><a href="{{href}}">{{indicator}}</a> <span class="muted">{{code}}</span> <span class="state {{state}}">{{label}}</span></li>{{/cells}}</ul>{{/hasCells}}
        {{#hasChildren}}<div class="table-wrap"><table>
        <thead><tr><th scope="col">Đơn vị</th><th scope="col" class="num">Đơn vị báo cáo</th><th scope="col" class="num">Chưa gửi gì</th><th scope="col" class="num">Đã duyệt</th><th scope="col" class="num">Đã gửi</th><th scope="col" class="num">Chưa báo cáo</th><th scope="col" class="num">Đã báo cáo</th></tr></thead>
        <tbody>{{#children}}<tr><td><a href="{{href}}">{{name}}</a></td><td class="num">{{units}}</td><td class="num">{{silent}}</td><td class="num">{{approved}}</td><td class="num">{{submitted}}</td><td class="num">{{nothing}}</td><td class="num">{{percent}}</td></tr>{{/children}}</tbody>
        </table></div>{{/hasChildren}}
        {{/sections}}
        <h2>Đơn vị chưa gửi báo cáo nào ({{silentCount}})</h2>
        {{#noSilent}}<p>Mọi đơn vị đã gửi ít nhất một kết quả.</p>{{/noSilent}}
        {{^noSilent}}<ul class="silent">{{#silentUnits}}<li><a href="{{href}}">{{name}}</a>{{#parent}} <span class="muted">({{parent}})</span>{{/parent}}</li>{{/silentUnits}}</ul>{{/noSilent}}
        """)
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// Nhập kết quả: a unit in scope, an indicator its level reports (suspended ones left out), a
/// period of the open years, the figures; saved as a draft or submitted. The form carries an
/// idempotency key made when it is rendered, so submitting twice or reloading records one result.
struct ResultEntryController {
    let services: WebServices

    var results: ResultStore { ResultStore(database: services.database) }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("ket-qua/nhap") { request, context in try await page(request: request, context: context) }
        group.post("ket-qua/nhap") { request, context in try await post(context: context) }
    }

    /// What the officer may choose from: units, and the active indicators of their levels.
    struct Choices {
        var units: [ReportingUnit]
        var indicators: [Indicator]

        func indicators(for unit: ReportingUnit?) -> [Indicator] {
            guard let unit else { return indicators }
            return indicators.filter { $0.draft.reportingLevels.contains(unit.level) }
        }
    }

    func choices(province: Int64, caller: Caller) async throws -> Choices {
        let indicators = try await IndicatorStore(database: services.database).list(province: province, caller: caller).filter { $0.status == "active" }
        let levels = Set(indicators.flatMap(\.draft.reportingLevels))
        let units = levels.isEmpty ? [] : try await results.reportingUnits(province: province, levels: levels, caller: caller)
        return Choices(units: units, indicators: indicators)
    }

    /// The periods offered: those of this year and last year (until its deadline, which the store
    /// checks) that have ended by today, latest first, grouped by year.
    static func periods(today: CalendarDate) -> [ReportingPeriod] {
        [today.year, today.year - 1].flatMap { year in
            ReportingPeriod.all(of: year).filter { $0.end <= today }.sorted { ($0.end, $0.kind.months) > ($1.end, $1.kind.months) }
        }
    }

    static func today() -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = WebFormat.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(year: c.year ?? 2025, month: c.month ?? 1, day: c.day ?? 1)
    }

    static func periodGroups(_ periods: [ReportingPeriod], selected: String) -> [[String: Any]] {
        Dictionary(grouping: periods, by: \.year).sorted { $0.key > $1.key }.map { year, list in
            ["label": "Năm \(year)", "periods": list.map { ["code": $0.code, "label": $0.label, "selected": $0.code == selected] as [String: Any] }]
        }
    }

    func page(request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let query = WebQuery(request)
        let choices = try await choices(province: province, caller: caller)
        let unitID = try query.id("unit") ?? (choices.units.count == 1 ? choices.units[0].id : nil)
        guard unitID == nil || choices.units.contains(where: { $0.id == unitID }) else { throw WebError.notFound }
        let unit = choices.units.first { $0.id == unitID }
        let indicatorID = try query.id("indicator")
        let indicator = choices.indicators(for: unit).first { $0.id == indicatorID }
        var form: ResultForm?
        if let indicator, unit != nil { form = ResultForm(indicator: indicator) }
        return render(
            context: context, choices: choices, unit: unit, indicator: indicator, form: form, errors: WebFormErrors(),
            idempotencyKey: "web-" + UUID().uuidString.lowercased(), status: .ok)
    }

    func render(
        context: AppRequestContext, choices: Choices, unit: ReportingUnit?, indicator: Indicator?, form: ResultForm?, errors: WebFormErrors,
        idempotencyKey: String, status: HTTPResponse.Status
    ) -> Response {
        var values: [String: Any] = [
            "csrf": context.csrfToken,
            "units": choices.units.map { u in
                ["id": u.id, "label": Self.unitLabel(u), "selected": u.id == unit?.id] as [String: Any]
            },
            "indicators": choices.indicators(for: unit).map { i in
                ["id": i.id, "label": "\(i.draft.code) – \(i.draft.name)", "selected": i.id == indicator?.id] as [String: Any]
            },
            "noUnits": choices.units.isEmpty, "script": WebAssets.resultFormScript.path,
        ]
        values.merge(errors.values) { $1 }
        if let form, let unit, let indicator {
            var fields = form.values(errors: errors)
            fields["csrf"] = context.csrfToken
            var formValues: [String: Any] = [
                "unitID": unit.id, "indicatorID": indicator.id, "unitName": Self.unitLabel(unit), "indicatorName": indicator.draft.name,
                "idem": idempotencyKey, "periodGroups": Self.periodGroups(Self.periods(today: Self.today()), selected: form.period),
                "fields": ResultForm.fields.render(fields),
            ]
            formValues["periodError"] = errors["period"]
            formValues["formError"] = errors["form"]
            values["form"] = formValues
        }
        let body = Self.template.render(values)
        return WebLayout.response(WebPage(title: "Nhập kết quả", section: .entry, body: body, status: status), context: context)
    }

    static func unitLabel(_ u: ReportingUnit) -> String {
        u.parentName.map { "\(u.name) (\($0))" } ?? u.name
    }

    func post(context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        guard let posted = context.form else { throw WebError.csrf }
        let choices = try await choices(province: province, caller: caller)
        guard let unitText = posted.text("unit"), let unitID = Int64(unitText), let unit = choices.units.first(where: { $0.id == unitID }) else {
            throw WebError.notFound
        }
        guard let indicatorText = posted.text("indicator"), let indicatorID = Int64(indicatorText),
              let indicator = choices.indicators(for: unit).first(where: { $0.id == indicatorID }) else {
            throw WebError.notFound
        }
        let form = ResultForm(indicator: indicator, form: posted)
        let key = posted.text("idem").flatMap { $0.count <= 100 && $0.hasPrefix("web-") ? $0 : nil } ?? "web-" + UUID().uuidString.lowercased()
        var errors = WebFormErrors()
        if let (period, figures) = form.periodAndFigures(errors: &errors) {
            let input = ResultInput(
                indicatorID: indicator.id, unit: .id(unit.id), periodStart: PostgresDate(period.start), periodEnd: PostgresDate(period.end), figures: figures)
            let submit = posted["action"] == "submit"
            do {
                let (record, _) = try await results.create(province: province, input, submit: submit, idempotencyKey: key, caller: caller)
                return WebLayout.redirect("/ket-qua/\(record.id.uuidString.lowercased())?da=\(record.state == .submitted ? "gui" : "luu")")
            } catch {
                guard let (field, message) = ResultText.fieldMessage(error) else { throw error }
                errors.add(field, message)
            }
        }
        let fresh = errors["form"] != nil ? "web-" + UUID().uuidString.lowercased() : key
        return render(
            context: context, choices: choices, unit: unit, indicator: indicator, form: form, errors: errors, idempotencyKey: fresh,
            status: .unprocessableContent)
    }

    static let template = WebTemplate("""
        <h1>Nhập kết quả</h1>
        {{#noUnits}}<div class="card"><p>Không có đơn vị nào trong phạm vi của bạn báo cáo chỉ tiêu đang thực hiện.</p></div>{{/noUnits}}
        {{^noUnits}}
        <form class="filters card" method="get" action="/ket-qua/nhap">
        <div class="field"><label for="chon-don-vi">Đơn vị</label> <select id="chon-don-vi" name="unit">{{#units}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/units}}</select></div>
        <div class="field"><label for="chon-chi-tieu">Chỉ tiêu</label> <select id="chon-chi-tieu" name="indicator">{{#indicators}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/indicators}}</select></div>
        <button type="submit" class="secondary">Chọn</button>
        </form>
        {{/noUnits}}
        {{#form}}
        {{> errors}}
        <form class="stack card result-form" method="post" action="/ket-qua/nhap">
        {{> csrf}}
        <input type="hidden" name="idem" value="{{idem}}">
        <input type="hidden" name="unit" value="{{unitID}}">
        <input type="hidden" name="indicator" value="{{indicatorID}}">
        <p>Đơn vị: <strong>{{unitName}}</strong><br>Chỉ tiêu: <strong>{{indicatorName}}</strong></p>
        {{#formError}}<p class="field-error">{{formError}}</p>{{/formError}}
        <label for="period">Kỳ báo cáo</label>
        {{#periodError}}<span class="field-error" id="period-error">{{periodError}}</span>{{/periodError}}
        <select id="period" name="period">{{#periodGroups}}<optgroup label="{{label}}">{{#periods}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</optgroup>{{/periodGroups}}</select>
        {{{fields}}}
        <div class="actions"><button type="submit" name="action" value="submit">Gửi duyệt</button>
        <button type="submit" name="action" value="draft" class="secondary">Lưu nháp</button></div>
        </form>
        <script src="{{script}}" defer></script>
        {{/form}}
        """)
}

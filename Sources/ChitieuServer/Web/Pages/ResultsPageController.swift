import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// Kết quả: results of my scope filtered by state, indicator, unit and year, a page at a time;
/// one result with its history from the audit log, and what may be done with it — edit and
/// submit a draft or a returned result, approve or return a submitted one, correct an approved
/// one. Every move is the store's, which asks the policy.
struct ResultsPageController {
    let services: WebServices

    var results: ResultStore { ResultStore(database: services.database) }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("ket-qua") { request, context in try await list(request: request, context: context) }
        group.get("ket-qua/:id") { request, context in try await show(request: request, context: context, id: try Self.id(context)) }
        group.get("ket-qua/:id/sua") { _, context in try await edit(context: context, id: try Self.id(context)) }
        group.post("ket-qua/:id/sua") { _, context in try await saveEdit(context: context, id: try Self.id(context)) }
        group.post("ket-qua/:id/gui") { _, context in try await submit(context: context, id: try Self.id(context)) }
        group.post("ket-qua/:id/tra-lai") { _, context in try await giveBack(context: context, id: try Self.id(context)) }
        group.post("ket-qua/:id/dieu-chinh") { _, context in try await correct(context: context, id: try Self.id(context)) }
    }

    /// The result id of the path; anything else is the 404 page.
    static func id(_ context: AppRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw WebError.notFound }
        return id
    }

    static func path(_ id: UUID) -> String { "/ket-qua/\(id.uuidString.lowercased())" }

    // MARK: The list

    func list(request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let query = WebQuery(request)
        let state = query["trang_thai"].flatMap(ResultRules.State.init(rawValue:))
        let indicatorID = try query.id("chi_tieu")
        let unitID = try query.id("don_vi")
        let year = query.integer("nam").flatMap { (2000...2100).contains($0) ? $0 : nil }
        let after = query["sau"].flatMap { try? ResultsController.decodeCursor($0) }
        let pageSize = 50
        let records = try await results.list(
            province: province,
            filter: ResultStore.Filter(indicatorID: indicatorID, unitID: unitID, state: state, year: year, after: after, limit: pageSize), caller: caller)
        let indicators = try await IndicatorStore(database: services.database).list(province: province, caller: caller)
        let names = Dictionary(uniqueKeysWithValues: indicators.map { ($0.id, $0.draft.name) })
        let thisYear = ResultEntryController.today().year
        // The units to filter by: those the officer reports for (none for a viewer, who may still follow a link with one).
        let units = (try? await results.reportingUnits(province: province, levels: Set(UnitLevel.allCases), caller: caller)) ?? []
        var values: [String: Any] = [
            "states": ResultRules.State.allCases.map { ["value": $0.rawValue, "label": ResultText.state($0), "selected": $0 == state] as [String: Any] },
            "indicators": indicators.map { ["id": $0.id, "label": "\($0.draft.code) – \($0.draft.name)", "selected": $0.id == indicatorID] as [String: Any] },
            "years": (2021...thisYear).reversed().map { ["year": $0, "selected": $0 == year] as [String: Any] },
            "unit": unitID.map(String.init) ?? "", "hasUnits": !units.isEmpty,
            "units": units.map { ["id": $0.id, "label": ResultEntryController.unitLabel($0), "selected": $0.id == unitID] as [String: Any] },
            "rows": records.map { r in
                [
                    "href": Self.path(r.id), "unit": r.unitName, "indicator": names[r.indicatorID] ?? r.indicatorCode, "code": r.indicatorCode,
                    "period": ResultText.period(r.periodStart, r.periodEnd), "value": WebFormat.integer(r.figures.value),
                    "state": r.state.rawValue, "stateLabel": ResultText.state(r.state), "updated": WebFormat.dateTime(r.updatedAt),
                ] as [String: Any]
            },
            "empty": records.isEmpty,
        ]
        if records.count == pageSize, let last = records.last {
            values["next"] = "/ket-qua" + WebQuery.string([
                ("trang_thai", state?.rawValue), ("chi_tieu", indicatorID.map(String.init)), ("don_vi", unitID.map(String.init)),
                ("nam", year.map(String.init)), ("sau", ResultsController.cursor(last)),
            ])
        }
        return WebLayout.response(WebPage(title: "Kết quả", section: .results, body: Self.listTemplate.render(values)), context: context)
    }

    static let listTemplate = WebTemplate("""
        <h1>Kết quả</h1>
        <form class="filters card" method="get" action="/ket-qua">
        <div class="field"><label for="loc-trang-thai">Trạng thái</label> <select id="loc-trang-thai" name="trang_thai"><option value="">Tất cả</option>{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select></div>
        <div class="field"><label for="loc-chi-tieu">Chỉ tiêu</label> <select id="loc-chi-tieu" name="chi_tieu"><option value="">Tất cả</option>{{#indicators}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/indicators}}</select></div>
        <div class="field"><label for="loc-nam">Năm</label> <select id="loc-nam" name="nam"><option value="">Tất cả</option>{{#years}}<option value="{{year}}"{{#selected}} selected{{/selected}}>{{year}}</option>{{/years}}</select></div>
        {{#hasUnits}}<div class="field"><label for="loc-don-vi">Đơn vị</label> <select id="loc-don-vi" name="don_vi"><option value="">Tất cả</option>{{#units}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/units}}</select></div>{{/hasUnits}}
        {{^hasUnits}}{{#unit}}<input type="hidden" name="don_vi" value="{{unit}}">{{/unit}}{{/hasUnits}}
        <button type="submit" class="secondary">Lọc</button>
        </form>
        {{#empty}}<div class="card"><p>Không có kết quả nào phù hợp.</p></div>{{/empty}}
        {{^empty}}
        <div class="table-wrap"><table>
        <thead><tr><th scope="col">Đơn vị</th><th scope="col">Chỉ tiêu</th><th scope="col">Kỳ</th><th scope="col" class="num">Giá trị</th><th scope="col">Trạng thái</th><th scope="col">Cập nhật</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td><a href="{{href}}">{{unit}}</a></td><td>{{indicator}} <span class="muted">{{code}}</span></td><td>{{period}}</td><td class="num">{{value}}</td><td><span class="state {{state}}">{{stateLabel}}</span></td><td>{{updated}}</td></tr>{{/rows}}
        </tbody></table></div>
        {{/empty}}
        {{#next}}<p><a class="button secondary" href="{{next}}">Trang sau</a></p>{{/next}}
        """)

    // MARK: One result

    func show(request: Request, context: AppRequestContext, id: UUID) async throws -> Response {
        let query = WebQuery(request)
        let notice: String? = switch query["da"] {
        case "luu": "Đã lưu bản nháp."
        case "gui": "Đã gửi duyệt."
        case "sua": "Đã lưu thay đổi."
        case "duyet": "Đã duyệt."
        case "khong-duyet": "Không duyệt được: kết quả đã thay đổi trong lúc bạn xem, hoặc chính bạn đã nhập hay gửi nó (người nhập không tự duyệt)."
        case "tra": "Đã trả lại cho đơn vị."
        case "dieu-chinh": "Đã điều chỉnh."
        default: nil
        }
        return try await render(context: context, id: id, notice: notice, errors: WebFormErrors(), correction: nil, reason: "", status: .ok)
    }

    func render(
        context: AppRequestContext, id: UUID, notice: String?, errors: WebFormErrors, correction: ResultForm?, reason: String,
        status: HTTPResponse.Status
    ) async throws -> Response {
        let (caller, province) = try context.province()
        let record = try await results.find(province: province, id: id, caller: caller)
        let indicator = try await IndicatorStore(database: services.database).find(id: record.indicatorID, province: province, caller: caller)
        let history = try await results.history(province: province, id: id, caller: caller)
        let decisions = try await results.decisions(province: province, id: id, caller: caller)
        let f = record.figures
        var values: [String: Any] = [
            "csrf": context.csrfToken, "path": Self.path(id), "id": id.uuidString.lowercased(), "version": record.version,
            "unit": "\(record.unitName) (\(record.unitCode))", "indicator": indicator.draft.name, "code": indicator.draft.code,
            "period": ResultText.period(record.periodStart, record.periodEnd),
            "value": "\(WebFormat.integer(f.value)) \(indicator.draft.measureUnit)",
            "state": record.state.rawValue, "stateLabel": ResultText.state(record.state),
            "editable": record.state.isEditable && !record.unitEnded,
            "submitted": decisions.contains(.approve) || decisions.contains(.giveBack),
            "canApprove": decisions.contains(.approve), "canReturn": decisions.contains(.giveBack),
            "approved": decisions.contains(.correct),
            "history": history.map { ["at": WebFormat.dateTime($0.at), "text": ResultText.event($0)] },
            "reason": reason,
        ]
        values["breakdown"] = f.breakdown.map { ResultText.breakdown($0, order: indicator.draft.disaggregation) }
        if let companion = f.companionValue, let measure = indicator.draft.companionMeasure {
            values["companion"] = "\(WebFormat.integer(companion)) \(measure)"
            values["companionBreakdown"] = f.companionBreakdown.map { ResultText.breakdown($0, order: indicator.draft.companionDisaggregation) }
        }
        values["note"] = f.evidenceNote
        values["returnReason"] = record.state == .returned ? record.returnReason : nil
        values["reasonError"] = errors["reason"]
        values["stateError"] = errors["state"]
        values.merge(errors.values) { $1 }
        var fields = (correction ?? ResultForm(indicator: indicator, record: record)).values(errors: errors)
        fields["csrf"] = context.csrfToken
        values["correctionFields"] = ResultForm.fields.render(fields)
        values["correcting"] = correction != nil
        values["script"] = WebAssets.resultFormScript.path
        let body = Self.showTemplate.render(values)
        return WebLayout.response(WebPage(title: "Kết quả", section: .results, body: body, status: status, notice: notice), context: context)
    }

    static let showTemplate = WebTemplate("""
        <nav class="breadcrumb" aria-label="Vị trí"><ol><li><a href="/ket-qua">Kết quả</a></li><li>{{code}}</li></ol></nav>
        <h1>{{indicator}}</h1>
        {{> errors}}
        <div class="card">
        <dl class="result">
        <div><dt>Đơn vị</dt><dd>{{unit}}</dd></div>
        <div><dt>Kỳ báo cáo</dt><dd>{{period}}</dd></div>
        <div><dt>Giá trị</dt><dd>{{value}}</dd></div>
        {{#breakdown}}<div><dt>Chia theo nhóm</dt><dd>{{breakdown}}</dd></div>{{/breakdown}}
        {{#companion}}<div><dt>Số đi kèm</dt><dd>{{companion}}{{#companionBreakdown}} ({{companionBreakdown}}){{/companionBreakdown}}</dd></div>{{/companion}}
        {{#note}}<div><dt>Minh chứng</dt><dd>{{note}}</dd></div>{{/note}}
        <div><dt>Trạng thái</dt><dd><span class="state {{state}}">{{stateLabel}}</span></dd></div>
        {{#returnReason}}<div><dt>Lý do trả lại</dt><dd>{{returnReason}}</dd></div>{{/returnReason}}
        </dl>
        {{#stateError}}<p class="field-error">{{stateError}}</p>{{/stateError}}
        {{#editable}}<div class="actions">
        <a class="button secondary" href="{{path}}/sua">Sửa</a>
        <form method="post" action="{{path}}/gui">{{> csrf}}<input type="hidden" name="version" value="{{version}}"><button type="submit">Gửi duyệt</button></form>
        </div>{{/editable}}
        </div>
        {{#submitted}}
        <div class="card">
        <h2>Duyệt</h2>
        {{#canApprove}}<form method="post" action="/duyet">{{> csrf}}<input type="hidden" name="chon" value="{{id}}:{{version}}"><input type="hidden" name="ve" value="{{path}}">
        <button type="submit">Duyệt kết quả này</button></form>{{/canApprove}}
        {{#canReturn}}<form class="stack" method="post" action="{{path}}/tra-lai">{{> csrf}}<input type="hidden" name="version" value="{{version}}">
        <label for="reason">Lý do trả lại</label>
        {{#reasonError}}<span class="field-error" id="reason-error">{{reasonError}}</span>{{/reasonError}}
        <textarea id="reason" name="reason" rows="2">{{reason}}</textarea>
        <div class="actions"><button type="submit" class="secondary">Trả lại</button></div></form>{{/canReturn}}
        </div>
        {{/submitted}}
        {{#approved}}
        <details class="card"{{#correcting}} open{{/correcting}}><summary>Điều chỉnh kết quả đã duyệt</summary>
        <form class="stack" method="post" action="{{path}}/dieu-chinh">{{> csrf}}<input type="hidden" name="version" value="{{version}}">
        {{{correctionFields}}}
        <label for="reason">Lý do điều chỉnh</label>
        {{#reasonError}}<span class="field-error" id="reason-error">{{reasonError}}</span>{{/reasonError}}
        <textarea id="reason" name="reason" rows="2">{{reason}}</textarea>
        <div class="actions"><button type="submit">Điều chỉnh</button></div></form>
        </details>
        <script src="{{script}}" defer></script>
        {{/approved}}
        <h2>Lịch sử</h2>
        <ol class="history">{{#history}}<li><time>{{at}}</time> — {{text}}</li>{{/history}}</ol>
        """)

    // MARK: Moves

    /// The version the form was rendered with.
    static func version(_ context: AppRequestContext) -> Int? {
        context.form?.text("version").flatMap { Int($0) }
    }

    func submit(context: AppRequestContext, id: UUID) async throws -> Response {
        let (caller, province) = try context.province()
        do {
            _ = try await results.submit(province: province, id: id, expectedVersion: Self.version(context), caller: caller)
        } catch {
            guard let (field, message) = ResultText.fieldMessage(error) else { throw error }
            var errors = WebFormErrors()
            errors.add(field == "period" ? "state" : field, message)
            return try await render(context: context, id: id, notice: nil, errors: errors, correction: nil, reason: "", status: .unprocessableContent)
        }
        return WebLayout.redirect(Self.path(id) + "?da=gui")
    }

    /// Makes a move on the result, then goes to its page saying what was done (`move` returns the
    /// `da` code); nil, with the field the store refused added to `errors`, to show the form again.
    func attempt(_ id: UUID, errors: inout WebFormErrors, _ move: () async throws -> String) async throws -> Response? {
        do {
            return WebLayout.redirect(Self.path(id) + "?da=" + (try await move()))
        } catch {
            guard let (field, message) = ResultText.fieldMessage(error) else { throw error }
            errors.add(field, message)
            return nil
        }
    }

    func giveBack(context: AppRequestContext, id: UUID) async throws -> Response {
        let (caller, province) = try context.province()
        let reason = context.form?.text("reason") ?? ""
        var errors = WebFormErrors()
        if reason.isEmpty { errors.add("reason", "Hãy ghi lý do trả lại để đơn vị biết cần sửa gì.") }
        if errors.isEmpty, let done = try await attempt(id, errors: &errors, {
            _ = try await results.giveBack(province: province, id: id, reason: reason, expectedVersion: Self.version(context), caller: caller)
            return "tra"
        }) { return done }
        return try await render(context: context, id: id, notice: nil, errors: errors, correction: nil, reason: reason, status: .unprocessableContent)
    }

    /// The result of the path and the form posted about it, read with its indicator's fields.
    func postedForm(context: AppRequestContext, id: UUID, caller: Caller, province: Int64) async throws -> (ResultRecord, ResultForm, WebForm) {
        guard let posted = context.form else { throw WebError.csrf }
        let record = try await results.find(province: province, id: id, caller: caller)
        let indicator = try await IndicatorStore(database: services.database).find(id: record.indicatorID, province: province, caller: caller)
        return (record, ResultForm(indicator: indicator, form: posted), posted)
    }

    func correct(context: AppRequestContext, id: UUID) async throws -> Response {
        let (caller, province) = try context.province()
        let (record, form, posted) = try await postedForm(context: context, id: id, caller: caller, province: province)
        let reason = posted.text("reason") ?? ""
        var errors = WebFormErrors()
        let figures = form.figures(errors: &errors)
        if reason.isEmpty { errors.add("reason", "Hãy ghi lý do điều chỉnh.") }
        if let figures, errors.isEmpty, let done = try await attempt(id, errors: &errors, {
            _ = try await results.correct(
                province: province, id: id, figures: figures, reason: reason, expectedVersion: Self.version(context) ?? record.version, caller: caller)
            return "dieu-chinh"
        }) { return done }
        return try await render(context: context, id: id, notice: nil, errors: errors, correction: form, reason: reason, status: .unprocessableContent)
    }

    // MARK: Editing a draft or a returned result

    func edit(context: AppRequestContext, id: UUID) async throws -> Response {
        let (caller, province) = try context.province()
        let record = try await results.find(province: province, id: id, caller: caller)
        guard record.state.isEditable else { return WebLayout.redirect(Self.path(id)) }
        let indicator = try await IndicatorStore(database: services.database).find(id: record.indicatorID, province: province, caller: caller)
        return renderEdit(context: context, record: record, form: ResultForm(indicator: indicator, record: record), errors: WebFormErrors(), status: .ok)
    }

    func renderEdit(context: AppRequestContext, record: ResultRecord, form: ResultForm, errors: WebFormErrors, status: HTTPResponse.Status) -> Response {
        var periods = ResultEntryController.periods(today: ResultEntryController.today())
        if let own = ReportingPeriod(code: form.period), !periods.contains(own) { periods.append(own) }
        var fields = form.values(errors: errors)
        fields["csrf"] = context.csrfToken
        var values: [String: Any] = [
            "csrf": context.csrfToken, "path": Self.path(record.id), "version": record.version, "unit": "\(record.unitName) (\(record.unitCode))",
            "indicator": form.indicator.draft.name, "periodGroups": ResultEntryController.periodGroups(periods, selected: form.period),
            "fields": ResultForm.fields.render(fields), "script": WebAssets.resultFormScript.path,
        ]
        values["returnReason"] = record.state == .returned ? record.returnReason : nil
        values["periodError"] = errors["period"]
        values["formError"] = errors["state"] ?? errors["form"]
        values.merge(errors.values) { $1 }
        return WebLayout.response(
            WebPage(title: "Sửa kết quả", section: .results, body: Self.editTemplate.render(values), status: status), context: context)
    }

    func saveEdit(context: AppRequestContext, id: UUID) async throws -> Response {
        let (caller, province) = try context.province()
        let (record, form, posted) = try await postedForm(context: context, id: id, caller: caller, province: province)
        var errors = WebFormErrors()
        if let (period, figures) = form.periodAndFigures(errors: &errors) {
            let input = ResultInput(
                indicatorID: record.indicatorID, unit: .id(record.unitID), periodStart: PostgresDate(period.start), periodEnd: PostgresDate(period.end),
                figures: figures)
            let done = try await attempt(id, errors: &errors) {
                let updated = try await results.update(province: province, id: id, input, expectedVersion: Self.version(context), caller: caller)
                guard posted["action"] == "submit" else { return "sua" }
                _ = try await results.submit(province: province, id: id, expectedVersion: updated.version, caller: caller)
                return "gui"
            }
            if let done { return done }
        }
        return renderEdit(context: context, record: record, form: form, errors: errors, status: .unprocessableContent)
    }

    static let editTemplate = WebTemplate("""
        <nav class="breadcrumb" aria-label="Vị trí"><ol><li><a href="/ket-qua">Kết quả</a></li><li><a href="{{path}}">{{indicator}}</a></li><li>Sửa</li></ol></nav>
        <h1>Sửa kết quả</h1>
        {{> errors}}
        <form class="stack card result-form" method="post" action="{{path}}/sua">
        {{> csrf}}<input type="hidden" name="version" value="{{version}}">
        <p>Đơn vị: <strong>{{unit}}</strong><br>Chỉ tiêu: <strong>{{indicator}}</strong></p>
        {{#returnReason}}<p class="errors">Lý do trả lại: {{returnReason}}</p>{{/returnReason}}
        {{#formError}}<p class="field-error">{{formError}}</p>{{/formError}}
        <label for="period">Kỳ báo cáo</label>
        {{#periodError}}<span class="field-error" id="period-error">{{periodError}}</span>{{/periodError}}
        <select id="period" name="period">{{#periodGroups}}<optgroup label="{{label}}">{{#periods}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</optgroup>{{/periodGroups}}</select>
        {{{fields}}}
        <div class="actions"><button type="submit" name="action" value="submit">Lưu và gửi duyệt</button>
        <button type="submit" name="action" value="draft" class="secondary">Lưu</button></div>
        </form>
        <script src="{{script}}" defer></script>
        """)
}

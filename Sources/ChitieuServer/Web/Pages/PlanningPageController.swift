import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Chỉ tiêu: for a phase and an indicator, a unit's targets by year and its children's (the
/// sheet of `target show`, one level at a time), each cell with its origin and lock; drill down by
/// unit. The forms — set a target, lock or unlock a cell, the unit's allocation rule, "Phân bổ",
/// the province's setting for district officers — are shown where the policy allows them, and
/// the store decides every one of them (`TargetStore`, `AllocationStore`, `ProvinceSettingsStore`).
struct PlanningPageController {
    let services: WebServices

    var targets: TargetStore { TargetStore(database: services.database) }

    static let path = "/chi-tieu"

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("chi-tieu") { request, context in
            let query = WebQuery(request)
            let selection = PlanningSelection(phase: query["phase"], indicatorID: try query.id("indicator"), unitID: try query.id("unit"))
            return try await page(selection, context: context, notice: Self.notice(query["da"]))
        }
        group.post("chi-tieu/dat") { _, context in try await setTarget(context: context) }
        group.post("chi-tieu/khoa") { _, context in try await setLock(context: context) }
        group.post("chi-tieu/cach-phan-bo") { _, context in try await setRule(context: context) }
        group.post("chi-tieu/phan-bo") { _, context in try await allocate(context: context) }
        group.post("chi-tieu/cai-dat") { _, context in try await setDistrictAllocation(context: context) }
        group.get("chi-tieu/phan-bo/:id") { request, context in try await job(request: request, context: context) }
    }

    /// What the notice says after a form saved (`da=` of the redirect).
    static func notice(_ done: String?) -> String? {
        switch done {
        case "dat": "Đã lưu chỉ tiêu."
        case "khoa": "Đã khoá ô chỉ tiêu."
        case "mo-khoa": "Đã mở khoá ô chỉ tiêu."
        case "cach-phan-bo": "Đã lưu cách phân bổ."
        case "phan-bo": "Đã phân bổ xong; bảng dưới đây là chỉ tiêu mới."
        case "cai-dat": "Đã lưu cài đặt của tỉnh."
        default: nil
        }
    }

    /// The page for a selection; with `errors`, the forms again with what was typed (422).
    func page(
        _ selection: PlanningSelection, context: AppRequestContext, notice: String? = nil, errors: WebFormErrors = WebFormErrors(),
        typed: WebForm? = nil
    ) async throws -> Response {
        let (caller, province) = try context.province()
        let phases = try await targets.phases(province: province, caller: caller)
        let indicators = try await IndicatorStore(database: services.database).list(province: province, caller: caller)
        guard let defaultPhase = Self.currentPhase(phases), let firstIndicator = indicators.first else {
            return WebLayout.response(WebPage(title: "Chỉ tiêu", section: .targets, body: Self.emptyTemplate.render([:])), context: context)
        }
        let phaseCode = selection.phase ?? defaultPhase.code
        let sheet = try await targets.sheet(
            province: province, indicatorID: selection.indicatorID ?? firstIndicator.id, phaseCode: phaseCode, unitID: selection.unitID, caller: caller)
        let settings = try await services.settings.settings(province: province, caller: caller)
        var values = PlanningView(sheet: sheet, caller: caller, province: province).values
        values["csrf"] = context.csrfToken
        values["phases"] = phases.map { ["code": $0.code, "selected": $0.code == phaseCode] as [String: Any] }
        values["indicators"] = indicators.map {
            ["id": $0.id, "label": "\($0.draft.code) — \($0.draft.name)", "selected": $0.id == sheet.indicator.id] as [String: Any]
        }
        values["districtAllocation"] = settings.districtAllocation
        values["settingsText"] = settings.districtAllocation
            ? "Cán bộ huyện đang được đặt chỉ tiêu và cách phân bổ cho các xã của huyện."
            : "Chỉ cán bộ tỉnh đặt chỉ tiêu và cách phân bổ cho mọi cấp."
        values.merge(errors.values) { _, new in new }
        for (field, message) in errors.items { values["error_" + field] = message }
        if let typed { values.merge(PlanningView.typed(typed)) { _, new in new } }
        var page = WebPage(title: "Chỉ tiêu", section: .targets, body: Self.template.render(values), notice: notice)
        if !errors.isEmpty { page.status = .unprocessableContent }
        return WebLayout.response(page, context: context)
    }

    /// The phase of this year, else the latest.
    static func currentPhase(_ phases: [Phase]) -> Phase? {
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        return phases.first { $0.firstYear <= year && year <= $0.lastYear } ?? phases.last
    }

    /// Runs a form's change: on success the page again (303) with its notice; a refusal about the
    /// form shows the page again (422) with the message beside the field, others the error pages.
    func attempt(
        _ selection: PlanningSelection, form: WebForm, errors: WebFormErrors, context: AppRequestContext, done: String,
        _ change: () async throws -> Void
    ) async throws -> Response {
        var errors = errors
        if errors.isEmpty {
            do {
                try await change()
                return WebLayout.redirect(selection.href(done: done))
            } catch {
                guard let refusal = ResultText.fieldMessage(error) else { throw error }
                errors.add(Self.formField(refusal.field), refusal.message)
            }
        }
        return try await page(selection, context: context, errors: errors, typed: form)
    }

    /// The page's field for a store field name (`ResultText.field` names them first).
    static func formField(_ name: String) -> String {
        switch name {
        case "value": "gia_tri"
        case "locked", "lock": "khoa"
        case "period", "year": "nam"
        case "method": "phuong_phap"
        case "attribute": "thuoc_tinh"
        case "minimum": "toi_thieu"
        case "years": "ty_trong_nam"
        default: name.hasPrefix("weights") ? "trong_so" : "form"
        }
    }
}

/// What the page shows: a phase, an indicator, a unit (nil: the top of my scope).
struct PlanningSelection {
    var phase: String?
    var indicatorID: Int64?
    var unitID: Int64?

    /// The selection a form carries in its hidden fields (`phase`, `indicator`, `unit`).
    init(form: WebForm) throws {
        phase = form.text("phase").map { String($0.prefix(40)) }
        indicatorID = try PlanningSelection.id(form.text("indicator"))
        unitID = try PlanningSelection.id(form.text("unit"))
    }

    init(phase: String?, indicatorID: Int64?, unitID: Int64?) {
        self.phase = phase
        self.indicatorID = indicatorID
        self.unitID = unitID
    }

    /// An id of a form: absent is nil; not a positive number is the 404 page.
    static func id(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        guard let id = Int64(text), id > 0 else { throw WebError.notFound }
        return id
    }

    /// The page of this selection, with the notice of what was done.
    func href(done: String? = nil, unit: Int64? = nil) -> String {
        PlanningPageController.path + WebQuery.string([
            ("phase", phase), ("indicator", indicatorID.map(String.init)), ("unit", (unit ?? unitID).map(String.init)), ("da", done),
        ])
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// The forms of the Chỉ tiêu page: each reads what was typed, hands it to the store, and shows
/// the store's refusal beside the field.
extension PlanningPageController {
    /// The form, the selection it came from, the caller and the province.
    func posted(_ context: AppRequestContext) throws -> (WebForm, PlanningSelection, Caller, Int64) {
        let (caller, province) = try context.province()
        guard let form = context.form else { throw WebError.csrf }
        return (form, try PlanningSelection(form: form), caller, province)
    }

    /// `POST /chi-tieu/dat`: a unit's phase or yearly target, its lock kept, set or lifted.
    func setTarget(context: AppRequestContext) async throws -> Response {
        let (form, selection, caller, province) = try posted(context)
        var errors = WebFormErrors()
        let unit = try PlanningSelection.id(form.text("don_vi"))
        let year = Self.year(form, errors: &errors)
        let value = Self.number(form.text("gia_tri"), field: "gia_tri", what: "Giá trị", example: "424", errors: &errors)
        let lock: Bool? = switch form.text("khoa") { case "1": true; case "0": false; default: nil }
        return try await attempt(selection, form: form, errors: errors, context: context, done: "dat") {
            _ = try await targets.set(
                province: province, indicatorID: selection.indicatorID ?? 0, phaseCode: selection.phase ?? "", unitID: unit, year: year,
                value: value ?? 0, lock: lock, caller: caller)
        }
    }

    /// `POST /chi-tieu/khoa`: locks (`khoa=1`) or unlocks (`khoa=0`) a cell, its value kept.
    func setLock(context: AppRequestContext) async throws -> Response {
        let (form, selection, caller, province) = try posted(context)
        var errors = WebFormErrors()
        let unit = try PlanningSelection.id(form.text("don_vi"))
        let year = Self.year(form, errors: &errors)
        let lock = form.text("khoa") == "1"
        var current: TargetCell?
        if errors.isEmpty, let indicator = selection.indicatorID, let phase = selection.phase {
            let sheet = try await targets.sheet(province: province, indicatorID: indicator, phaseCode: phase, unitID: selection.unitID, caller: caller)
            current = sheet.cells.first { $0.unitID == (unit ?? sheet.unit.id) && $0.year == year }
            if current == nil { errors.add("khoa", "Ô này chưa có chỉ tiêu nên chưa khoá được; hãy đặt chỉ tiêu trước.") }
        }
        return try await attempt(selection, form: form, errors: errors, context: context, done: lock ? "khoa" : "mo-khoa") {
            _ = try await targets.set(
                province: province, indicatorID: selection.indicatorID ?? 0, phaseCode: selection.phase ?? "", unitID: unit, year: year,
                value: current?.value ?? 0, lock: lock, caller: caller)
        }
    }

    /// `POST /chi-tieu/cach-phan-bo`: how the page's unit splits its target among its children.
    func setRule(context: AppRequestContext) async throws -> Response {
        let (form, selection, caller, province) = try posted(context)
        var errors = WebFormErrors()
        let rule = Self.rule(form, errors: &errors)
        return try await attempt(selection, form: form, errors: errors, context: context, done: "cach-phan-bo") {
            _ = try await AllocationStore(database: services.database).setRule(
                province: province, indicatorID: selection.indicatorID ?? 0, phaseCode: selection.phase ?? "", unitID: selection.unitID,
                rule: rule, caller: caller)
        }
    }

    /// `POST /chi-tieu/phan-bo`: asks for the allocation of the indicator, then shows its job.
    func allocate(context: AppRequestContext) async throws -> Response {
        let (_, selection, caller, province) = try posted(context)
        let (job, _) = try await AllocationStore(database: services.database).request(
            province: province, phaseCode: selection.phase ?? "", indicatorID: selection.indicatorID, caller: caller)
        return WebLayout.redirect("\(Self.path)/phan-bo/\(job.id)" + WebQuery.string([
            ("phase", selection.phase), ("indicator", selection.indicatorID.map(String.init)), ("unit", selection.unitID.map(String.init)),
        ]))
    }

    /// `POST /chi-tieu/cai-dat`: whether district officers plan their communes.
    func setDistrictAllocation(context: AppRequestContext) async throws -> Response {
        let (form, selection, caller, province) = try posted(context)
        return try await attempt(selection, form: form, errors: WebFormErrors(), context: context, done: "cai-dat") {
            _ = try await services.settings.setDistrictAllocation(
                province: province, enabled: form.text("huyen_phan_bo") == "1", caller: caller)
        }
    }

    /// The year of a form (`nam`): empty for the whole phase.
    static func year(_ form: WebForm, errors: inout WebFormErrors) -> Int? {
        guard let text = form.text("nam") else { return nil }
        guard let year = Int(text) else {
            errors.add("nam", "Năm “\(text.prefix(20))” không phải là một năm của giai đoạn.")
            return nil
        }
        return year
    }

    /// A whole number typed as officers write it (3.816 or 3816); nil with an error otherwise.
    static func number(_ text: String?, field: String, what: String, example: String, errors: inout WebFormErrors) -> Int? {
        guard let text else {
            errors.add(field, "Cần nhập \(what.lowercased()).")
            return nil
        }
        let digits = text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: " ", with: "")
        guard digits.count <= 12, let value = Int(digits) else {
            errors.add(field, "\(what) “\(text.prefix(20))” không phải là một số nguyên, ví dụ \(example).")
            return nil
        }
        return value
    }

    /// The rule the form describes: a method, weights by child code (`w_<code>`) or an attribute,
    /// a minimum, a year profile such as 1,2,2,2,1.
    static func rule(_ form: WebForm, errors: inout WebFormErrors) -> AllocationRule {
        let method = form.text("phuong_phap") ?? "equal"
        var rule = AllocationRule(childMethod: method == "thuoc_tinh" ? "weighted" : method)
        if method == "thuoc_tinh" { rule.weightAttribute = form.text("thuoc_tinh") ?? "" }
        if method == "weighted" {
            for (name, text) in form.fields where name.hasPrefix("w_") && !text.trimmingCharacters(in: .whitespaces).isEmpty {
                let code = String(name.dropFirst(2))
                if let weight = number(text, field: "trong_so", what: "Trọng số của \(code)", example: "3", errors: &errors) {
                    rule.childWeights[code] = Int64(weight)
                }
            }
        }
        if form.text("toi_thieu") != nil {
            rule.minimumPerChild = number(form.text("toi_thieu"), field: "toi_thieu", what: "Mức tối thiểu", example: "2", errors: &errors) ?? 0
        }
        if let shares = form.text("ty_trong_nam") {
            let parts = shares.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == ":" || $0 == " " })
            let numbers = parts.compactMap { Int64($0) }
            if numbers.count == parts.count, !numbers.isEmpty {
                rule.yearWeights = numbers
            } else {
                errors.add("ty_trong_nam", "Tỷ trọng các năm “\(shares.prefix(40))” cần là các số nguyên cách nhau bởi dấu phẩy, ví dụ 1,2,2,2,1.")
            }
        }
        return rule
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// The figures of a result as a form holds them: what was typed (kept when the form comes back
/// with errors), read from a posted form, checked into `ResultFigures`, and rendered for the
/// `ResultForm.template` partial. Breakdown inputs are named by position (`b-0-1`: the first
/// dimension's second category), so any category name is safe in a field name.
struct ResultForm {
    let indicator: Indicator
    var period: String = ""
    var value: String = ""
    /// Typed counts: dimension → category → text.
    var breakdown: [String: [String: String]] = [:]
    var companionValue: String = ""
    var companionBreakdown: [String: [String: String]] = [:]
    var note: String = ""

    var dimensions: [(name: String, categories: [String])] {
        (indicator.draft.disaggregation ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    var companionDimensions: [(name: String, categories: [String])] {
        (indicator.draft.companionDisaggregation ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    init(indicator: Indicator) {
        self.indicator = indicator
    }

    /// The form filled with a result's figures.
    init(indicator: Indicator, record: ResultRecord) {
        self.indicator = indicator
        period = ReportingPeriod.exactly(CalendarDate(record.periodStart), CalendarDate(record.periodEnd))?.code ?? ""
        value = String(record.figures.value)
        breakdown = (record.figures.breakdown ?? [:]).mapValues { $0.mapValues(String.init) }
        companionValue = record.figures.companionValue.map(String.init) ?? ""
        companionBreakdown = (record.figures.companionBreakdown ?? [:]).mapValues { $0.mapValues(String.init) }
        note = record.figures.evidenceNote ?? ""
    }

    /// What a posted form holds.
    init(indicator: Indicator, form: WebForm) {
        self.indicator = indicator
        period = form.text("period") ?? ""
        value = form.text("value") ?? ""
        companionValue = form.text("companion_value") ?? ""
        note = form["note"] ?? ""
        for (i, d) in dimensions.enumerated() {
            for (j, c) in d.categories.enumerated() { breakdown[d.name, default: [:]][c] = form.text("b-\(i)-\(j)") ?? "" }
        }
        for (i, d) in companionDimensions.enumerated() {
            for (j, c) in d.categories.enumerated() { companionBreakdown[d.name, default: [:]][c] = form.text("cb-\(i)-\(j)") ?? "" }
        }
    }

    /// A whole number from 0 to the largest count, written with or without thousands dots.
    static func count(_ text: String) -> Int? {
        let digits = text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: " ", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), (0...ResultRules.maximumValue).contains(n) else { return nil }
        return n
    }

    /// The typed counts of one breakdown, checked: a dimension left empty is no breakdown; one
    /// partly filled counts empty boxes as 0 and must add up to `total`.
    static func counts(
        _ typed: [String: [String: String]], dimensions: [(name: String, categories: [String])], total: Int?, field: String, totalName: String,
        errors: inout WebFormErrors
    ) -> [String: [String: Int]]? {
        var out: [String: [String: Int]] = [:]
        for d in dimensions {
            let texts = typed[d.name] ?? [:]
            guard texts.values.contains(where: { !$0.isEmpty }) else { continue }
            var counts: [String: Int] = [:]
            for c in d.categories {
                let text = texts[c] ?? ""
                guard let n = text.isEmpty ? 0 : count(text) else {
                    errors.add(field, "\(ResultText.dimension(d.name)) – \(c): hãy nhập số nguyên từ 0.")
                    return nil
                }
                counts[c] = n
            }
            let sum = counts.values.reduce(0, +)
            if let total, sum != total {
                errors.add(field, "Tổng theo \(ResultText.dimension(d.name).lowercased()) là \(WebFormat.integer(sum)), chưa bằng \(totalName) (\(WebFormat.integer(total))).")
                return nil
            }
            out[d.name] = counts
        }
        return out.isEmpty ? nil : out
    }

    /// The period and the figures, or the errors beside their fields.
    func periodAndFigures(errors: inout WebFormErrors) -> (period: ReportingPeriod, figures: ResultFigures)? {
        let period = ReportingPeriod(code: self.period)
        if period == nil { errors.add("period", "Hãy chọn kỳ báo cáo.") }
        let figures = figures(errors: &errors)
        guard let period, let figures, errors.isEmpty else { return nil }
        return (period, figures)
    }

    /// The figures, or the errors beside the fields.
    func figures(errors: inout WebFormErrors) -> ResultFigures? {
        let v = Self.count(value)
        if v == nil { errors.add("value", value.isEmpty ? "Hãy nhập giá trị." : "Giá trị phải là số nguyên từ 0 đến 10.000.000.") }
        var companion: Int?
        if !companionValue.isEmpty {
            companion = Self.count(companionValue)
            if companion == nil { errors.add("companion_value", "Số \(indicator.draft.companionMeasure ?? "đi kèm") phải là số nguyên từ 0.") }
        }
        let counts = Self.counts(breakdown, dimensions: dimensions, total: v, field: "breakdown", totalName: "giá trị", errors: &errors)
        let companionCounts = Self.counts(
            companionBreakdown, dimensions: companionDimensions, total: companion, field: "companion_breakdown",
            totalName: "số \(indicator.draft.companionMeasure ?? "đi kèm")", errors: &errors)
        if companionCounts != nil && companion == nil && errors["companion_value"] == nil {
            errors.add("companion_value", "Hãy nhập số \(indicator.draft.companionMeasure ?? "đi kèm") khi đã chia theo nhóm.")
        }
        if note.count > 4000 { errors.add("note", "Ghi chú minh chứng tối đa 4.000 ký tự.") }
        guard errors.isEmpty, let v else { return nil }
        return ResultFigures(value: v, breakdown: counts, companionValue: companion, companionBreakdown: companionCounts, evidenceNote: note)
    }

    /// The values of the `fields` partial.
    func values(errors: WebFormErrors) -> [String: Any] {
        func groups(_ dims: [(name: String, categories: [String])], _ typed: [String: [String: String]], prefix: String) -> [[String: Any]] {
            dims.enumerated().map { i, d in
                [
                    "legend": ResultText.dimension(d.name) == d.name ? d.name : ResultText.dimension(d.name).lowercased(),
                    "categories": d.categories.enumerated().map { j, c in
                        ["id": "\(prefix)-\(i)-\(j)", "name": "\(prefix)-\(i)-\(j)", "label": c, "value": typed[d.name]?[c] ?? ""] as [String: Any]
                    },
                ]
            }
        }
        var out: [String: Any] = [
            "measure": indicator.draft.measureUnit, "value": value, "note": note, "dimensions": groups(dimensions, breakdown, prefix: "b"),
        ]
        out["valueError"] = errors["value"]
        out["noteError"] = errors["note"]
        out["breakdownError"] = errors["breakdown"]
        if let measure = indicator.draft.companionMeasure {
            var companion: [String: Any] = [
                "measure": measure, "value": companionValue, "dimensions": groups(companionDimensions, companionBreakdown, prefix: "cb"),
            ]
            companion["error"] = errors["companion_value"]
            companion["breakdownError"] = errors["companion_breakdown"]
            out["companion"] = companion
        }
        return out
    }

    /// The figure inputs (value, breakdowns, companion, note), inside a form of the page.
    static let fields = WebTemplate("""
        <label for="value">Giá trị ({{measure}})</label>
        {{#valueError}}<span class="field-error" id="value-error">{{valueError}}</span>{{/valueError}}
        <input id="value" name="value" inputmode="numeric" autocomplete="off" value="{{value}}"{{#valueError}} aria-invalid="true" aria-describedby="value-error"{{/valueError}}>
        {{#breakdownError}}<span class="field-error" id="breakdown-error">{{breakdownError}}</span>{{/breakdownError}}
        {{#dimensions}}<fieldset class="breakdown" data-total="value"><legend>Chia theo {{legend}}</legend>
        {{#categories}}<label for="{{id}}">{{label}}</label><input id="{{id}}" name="{{name}}" inputmode="numeric" autocomplete="off" value="{{value}}">{{/categories}}
        <p class="muted breakdown-sum" aria-live="polite"></p></fieldset>{{/dimensions}}
        {{#companion}}
        <label for="companion_value">Số {{measure}}</label>
        {{#error}}<span class="field-error" id="companion-error">{{error}}</span>{{/error}}
        <input id="companion_value" name="companion_value" inputmode="numeric" autocomplete="off" value="{{value}}">
        {{#breakdownError}}<span class="field-error">{{breakdownError}}</span>{{/breakdownError}}
        {{#dimensions}}<fieldset class="breakdown" data-total="companion_value"><legend>Số {{measure}} chia theo {{legend}}</legend>
        {{#categories}}<label for="{{id}}">{{label}}</label><input id="{{id}}" name="{{name}}" inputmode="numeric" autocomplete="off" value="{{value}}">{{/categories}}
        <p class="muted breakdown-sum" aria-live="polite"></p></fieldset>{{/dimensions}}
        {{/companion}}
        <label for="note">Ghi chú minh chứng <span class="muted">(biên bản, danh sách… lưu tại đơn vị)</span></label>
        {{#noteError}}<span class="field-error">{{noteError}}</span>{{/noteError}}
        <textarea id="note" name="note" rows="3">{{note}}</textarea>
        """)
}

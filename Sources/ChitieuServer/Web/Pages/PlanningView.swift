import ChitieuDomain
import ChitieuStore
import Foundation

/// The values of the Chỉ tiêu page's template for a unit's sheet: the table of cells, the trail,
/// the current allocation rule, and which forms the policy lets the caller use here.
struct PlanningView {
    let sheet: TargetStore.UnitSheet
    let caller: Caller
    let province: Int64

    /// Whether the policy lets the caller do `action` on a unit below (or at) the sheet's unit.
    func may(_ action: Action, at unit: TargetUnit) -> Bool {
        let path = unit.id == sheet.unit.id ? sheet.path : sheet.path + [unit.id]
        return Policy.decide(caller.principal, action, .unit(province, path: path)) == .allow
    }

    var values: [String: Any] {
        let years = sheet.phase.years
        var cells: [Int64: [Int?: TargetCell]] = [:]
        for cell in sheet.cells { cells[cell.unitID, default: [:]][cell.year] = cell }
        let selection = PlanningSelection(phase: sheet.phase.code, indicatorID: sheet.indicator.id, unitID: sheet.unit.id)
        let rows = ([sheet.unit] + sheet.children).map { unit -> [String: Any] in
            var row: [String: Any] = [
                "name": unit.name, "code": unit.code, "own": unit.id == sheet.unit.id, "ended": unit.ended,
                "cells": (years.map(Optional.some) + [nil]).map { Self.cell(cells[unit.id]?[$0]) },
            ]
            if unit.id != sheet.unit.id { row["href"] = selection.href(unit: unit.id) }
            return row
        }
        let settable = ([sheet.unit] + sheet.children).filter { !$0.ended && may(.setTarget, at: $0) }
        let d = sheet.indicator.draft
        var values: [String: Any] = [
            "phase": sheet.phase.code, "indicatorID": sheet.indicator.id, "unitID": sheet.unit.id,
            "indicatorName": d.name, "indicatorCode": d.code, "measure": d.measureUnit, "stock": d.kind == .stock,
            "suspended": sheet.indicator.status == "suspended", "unitName": sheet.unit.name,
            "hasTrail": !sheet.trail.isEmpty, "trail": sheet.trail.map { ["name": $0.name, "href": selection.href(unit: $0.id)] },
            "years": years.map { ["year": $0] }, "rows": rows, "hasChildren": !sheet.children.isEmpty,
            "settable": settable.map { ["id": $0.id, "label": $0.id == sheet.unit.id ? "\($0.name) (cả đơn vị)" : $0.name] },
            "maySet": !settable.isEmpty, "yearOptions": years.map { ["year": $0] },
            "ruleText": Self.describe(sheet.rule), "mayPlan": !sheet.unit.ended && !sheet.children.isEmpty && may(.planAllocation, at: sheet.unit),
            "province": sheet.unit.level == .province,
            "mayAllocate": Policy.decide(caller.principal, .planAllocation, .province(province)) == .allow,
            "weights": sheet.children.filter { !$0.ended }.map { child -> [String: Any] in
                var item: [String: Any] = ["code": child.code, "name": child.name]
                if let weight = sheet.rule?.childWeights[child.code] { item["weight"] = weight }
                return item
            },
        ]
        if let plan = sheet.phase.plan?.citation { values["plan"] = plan }
        let rule = sheet.rule ?? AllocationRule()
        let method = rule.weightAttribute != nil ? "thuoc_tinh" : rule.childMethod
        values["methods"] = Self.methods.map { ["value": $0.value, "label": $0.label, "selected": $0.value == method] as [String: Any] }
        values["attribute"] = rule.weightAttribute ?? "population"
        values["minimum"] = rule.minimumPerChild
        values["yearShares"] = rule.yearWeights.map { $0.map(String.init).joined(separator: ",") } ?? ""
        return values
    }

    /// The methods the rule form offers: the store's `equal`, `weighted` (by weights or by an
    /// attribute) and `manual`.
    static let methods: [(value: String, label: String)] = [
        ("equal", "Chia đều cho các đơn vị"), ("weighted", "Theo trọng số nhập dưới đây"),
        ("thuoc_tinh", "Theo thuộc tính của đơn vị (ví dụ dân số)"), ("manual", "Tự đặt cho từng đơn vị (không tính)"),
    ]

    /// A cell of the table: the figure, where it came from, whether it is locked.
    static func cell(_ cell: TargetCell?) -> [String: Any] {
        guard let cell else { return ["value": "—", "empty": true] }
        var item: [String: Any] = ["value": WebFormat.integer(cell.value), "origin": origin(cell.origin), "originClass": cell.origin]
        if cell.locked { item["locked"] = true }
        return item
    }

    /// An origin as officers call it.
    static func origin(_ origin: String) -> String {
        switch origin {
        case "assigned": "giao"
        case "allocated": "phân bổ"
        case "overridden": "đặt tay"
        default: origin
        }
    }

    /// The rule in a sentence.
    static func describe(_ rule: AllocationRule?) -> String {
        guard let rule else { return "Chưa đặt cách phân bổ: chia đều cho các đơn vị, đều cho các năm." }
        var text: String
        switch (rule.method, rule.weightAttribute) {
        case (.weighted?, let attribute?): text = "Theo thuộc tính “\(attribute)” của các đơn vị"
        case (.weighted?, nil): text = "Theo trọng số của \(rule.childWeights.count) đơn vị"
        case (.manual?, _): text = "Tự đặt cho từng đơn vị"
        default: text = "Chia đều cho các đơn vị"
        }
        if rule.minimumPerChild > 0 { text += ", mỗi đơn vị ít nhất \(WebFormat.integer(rule.minimumPerChild))" }
        if let years = rule.yearWeights { text += "; tỷ trọng các năm \(years.map(String.init).joined(separator: " : "))" }
        return text + "."
    }

    /// What a form had typed, to show it again beside its errors.
    static func typed(_ form: WebForm) -> [String: Any] {
        var values: [String: Any] = [:]
        for (name, key) in [("gia_tri", "typedValue"), ("thuoc_tinh", "attribute"), ("toi_thieu", "minimum"), ("ty_trong_nam", "yearShares")] {
            if let text = form[name] { values[key] = text }
        }
        return values
    }
}

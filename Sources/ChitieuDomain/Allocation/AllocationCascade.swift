/// The allocation cascade: a province's phase target split down its tree, province → district →
/// commune, by the rules of each parent, every cell exact (`Allocation`).
public enum AllocationCascade {
    /// Every cell below the province's phase target, or nil without one; an error naming the
    /// field, the units and the numbers for inputs that admit no exact allocation.
    /// Units weigh by `attributes[name][unit]` (thousandths) in rules that name an attribute. A unit
    /// that exists only in some years of the phase gets nothing in the others: for flow its weight
    /// counts the years it exists and its other years are 0; for stock a unit gone by the last
    /// year gets no target, and one that appears later starts from 0.
    public static func cells(
        indicator: IndicatorDraft, phase: Phase, units: [TargetUnit], cells: [TargetCell], rules: [Int64: AllocationRule],
        attributes: [String: [Int64: Int64]] = [:]
    ) throws(AllocationError) -> [TargetCell]? {
        let years = phase.years
        guard let root = TargetUnit.root(of: units),
            let total = cells.first(where: { $0.unitID == root.id && $0.year == nil })?.value
        else { return nil }
        var children: [Int64: [TargetUnit]] = [:]
        for unit in units { if let parent = unit.parentID { children[parent, default: []].append(unit) } }
        var byUnit: [Int64: [TargetCell]] = [:]
        for cell in cells { byUnit[cell.unitID, default: []].append(cell) }
        func locks(_ unit: Int64) -> (total: Int?, years: [Int: Int]) {
            var total: Int?
            var lockedYears: [Int: Int] = [:]
            for cell in byUnit[unit] ?? [] where cell.locked {
                if let year = cell.year, let index = years.firstIndex(of: year) { lockedYears[index] = cell.value } else if cell.year == nil { total = cell.value }
            }
            return (total, lockedYears)
        }
        let kind = indicator.kind
        let rootRule = rules[root.id] ?? AllocationRule()
        // A year profile below the province cannot be applied (its years are its share of the
        // province's): refused, not ignored.
        if let profiled = units.filter({ $0.id != root.id && rules[$0.id]?.yearWeights != nil }).min(by: { $0.code < $1.code }) {
            throw AllocationError(
                reason: "\(indicator.code): \(AllocationRule.yearProfileBelowProvince(profiled.code, profiled.name)); nothing was changed",
                units: [profiled.code], field: "years")
        }
        let rootYears: [Int]
        do {
            rootYears = try Allocation.splitYears(
                total: total, years: years.count, weights: rootRule.yearWeights, kind: kind, locked: locks(root.id).years)
        } catch {
            throw AllocationError(reason: "\(indicator.code), \(root.name): \(error.reason)", units: [])
        }
        var output: [TargetCell] = years.indices.map {
            TargetCell(unitID: root.id, year: years[$0], value: rootYears[$0], origin: "allocated", locked: false)
        }
        var queue: [(TargetUnit, [Int])] = [(root, rootYears)]
        let names = Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        while let (parent, parentYears) = queue.popLast() {
            // By code, so that an error names the same unit first every time.
            guard let kids = children[parent.id]?.sorted(by: { $0.code < $1.code }), !kids.isEmpty else { continue }
            let rule = rules[parent.id] ?? AllocationRule()
            if rule.method == .manual { continue }
            var inputs: [AllocationChild] = []
            for kid in kids {
                let weight = try Self.weight(of: kid, below: parent, rule: rule, attributes: attributes, years: years.count, indicator: indicator)
                inputs.append(Self.child(kid, weight: weight, locks: locks(kid.id), years: years, kind: kind))
            }
            let result: [ChildAllocation]
            do {
                result = try Allocation.allocate(kind: kind, parentYears: parentYears, minimumPerChild: rule.minimumPerChild, children: inputs)
            } catch {
                let named = error.units.map { "\($0) \(names[$0] ?? "")" }.joined(separator: ", ")
                throw AllocationError(
                    reason: "\(indicator.code) below \(parent.code) \(parent.name): \(error.reason)\(named.isEmpty ? "" : " [\(named)]"); nothing was changed",
                    units: error.units)
            }
            for (kid, allocation) in zip(kids, result) {
                output.append(TargetCell(unitID: kid.id, year: nil, value: allocation.total, origin: "allocated", locked: false))
                for (i, year) in years.enumerated() {
                    output.append(TargetCell(unitID: kid.id, year: year, value: allocation.years[i], origin: "allocated", locked: false))
                }
                queue.append((kid, allocation.years))
            }
        }
        return output
    }

    /// A child's weight under its parent's rule: 1 each for equal, its explicit weight or its
    /// attribute (thousandths) for weighted; refused when it is missing or too large to allocate.
    static func weight(
        of kid: TargetUnit, below parent: TargetUnit, rule: AllocationRule, attributes: [String: [Int64: Int64]], years: Int, indicator: IndicatorDraft
    ) throws(AllocationError) -> Int64 {
        var weight: Int64 = 1
        if rule.method == .weighted {
            if let attribute = rule.weightAttribute {
                guard let value = attributes[attribute]?[kid.id] else {
                    throw AllocationError(
                        reason: "\(kid.code) \(kid.name) has no attribute '\(attribute)' (see `chitieu units attributes import`)", units: [kid.code],
                        field: "weights")
                }
                weight = value
            } else {
                weight = rule.childWeights[kid.code] ?? 0
            }
        }
        // Rules stored before weights were bounded, and large attributes, are refused here
        // rather than overflow.
        let largest = Allocation.maximumWeight / Int64(max(years, 1))
        guard (0...largest).contains(weight) else {
            throw AllocationError(
                reason: "\(indicator.code) below \(parent.code) \(parent.name): the weight of \(kid.code) \(kid.name) (\(weight)\(rule.weightAttribute.map { " thousandths of \($0)" } ?? "")) is more than \(largest); set the rule again with weights up to \(AllocationRule.maximumWeight); nothing was changed",
                units: [kid.code], field: "weights")
        }
        return weight
    }

    /// A child as the exact allocation takes it: its weight over the years it exists and its
    /// locks; the years it does not exist locked at 0 (flow, and stock that still exists at the
    /// end), or its whole target 0 (stock gone by the last year).
    static func child(_ kid: TargetUnit, weight: Int64, locks: (total: Int?, years: [Int: Int]), years: [Int], kind: IndicatorKind) -> AllocationChild {
        var child = AllocationChild(unitID: kid.id, key: kid.code, weight: weight, lockedTotal: locks.total, lockedYears: locks.years)
        let inactive = years.indices.filter { !kid.exists(in: years[$0]) }
        if !inactive.isEmpty {
            switch kind {
            case .flow:
                child.weight = weight * Int64(years.count - inactive.count)
                for y in inactive where child.lockedYears[y] == nil { child.lockedYears[y] = 0 }
            case .stock:
                if !kid.exists(in: years[years.count - 1]) {
                    child.lockedTotal = child.lockedTotal ?? 0
                    child.lockedYears = [:]
                } else {
                    child.weight = weight * Int64(years.count)
                    for y in inactive where child.lockedYears[y] == nil { child.lockedYears[y] = 0 }
                }
            }
        } else {
            child.weight = weight * Int64(years.count)
        }
        return child
    }
}

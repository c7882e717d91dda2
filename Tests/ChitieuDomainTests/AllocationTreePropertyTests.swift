import ChitieuDomain
import Foundation
import Testing

@Suite("The allocation cascade over random trees, without a database")
struct AllocationTreePropertyTests {
    /// A random province → district → commune tree, its rules (a year profile at the province,
    /// weights, a minimum per commune) and the province's phase target.
    struct Tree {
        var kind: IndicatorKind
        var phase = Phase(id: 1, code: "2021-2025", firstYear: 2021, lastYear: 2025)
        var units: [TargetUnit]
        var rules: [Int64: AllocationRule]
        var minimum: Int
        var total: Int
        var indicator: IndicatorDraft { IndicatorDraft(code: "X", name: "Chỉ tiêu", measureUnit: "tổ", kind: kind) }
        var assigned: [TargetCell] { [TargetCell(unitID: 1, year: nil, value: total, origin: "assigned", locked: false)] }
    }

    func randomTree(kind: IndicatorKind, _ rng: inout SeededRandom) -> Tree {
        let day = CalendarDate(year: 2021, month: 1, day: 1)
        var units = [TargetUnit(id: 1, level: .province, code: "10", name: "Tỉnh", parentID: nil, sortKey: 1, validFrom: day, validTo: nil)]
        var rules: [Int64: AllocationRule] = [:]
        var next: Int64 = 2
        let minimum = Int.random(in: 0...1, using: &rng)
        rules[1] = AllocationRule(
            childMethod: Bool.random(using: &rng) ? "equal" : "weighted",
            childWeights: [:], yearWeights: (0..<5).map { _ in Int64.random(in: 0...4, using: &rng) }, minimumPerChild: 0)
        if rules[1]!.yearWeights!.allSatisfy({ $0 == 0 }) { rules[1]!.yearWeights = nil }
        for d in 0..<Int.random(in: 1...8, using: &rng) {
            let district = TargetUnit(id: next, level: .district, code: String(format: "%03d", d), name: "Huyện \(d)", parentID: 1, sortKey: d, validFrom: day, validTo: nil)
            units.append(district)
            rules[1]!.childWeights[district.code] = Int64.random(in: 1...30, using: &rng)
            next += 1
            var weights: [String: Int64] = [:]
            for c in 0..<Int.random(in: 1...20, using: &rng) {
                let code = String(format: "%03d%02d", d, c)
                units.append(TargetUnit(id: next, level: .commune, code: code, name: "Xã \(code)", parentID: district.id, sortKey: c, validFrom: day, validTo: nil))
                weights[code] = Int64.random(in: 0...10, using: &rng)
                next += 1
            }
            rules[district.id] = AllocationRule(childMethod: Bool.random(using: &rng) ? "equal" : "weighted", childWeights: weights, minimumPerChild: minimum)
        }
        let communes = units.filter { $0.level == .commune }.count
        let total = Int.random(in: (minimum * communes)...(minimum * communes + 3_000), using: &rng)
        return Tree(kind: kind, units: units, rules: rules, minimum: minimum, total: total)
    }

    /// Children sum to their parent every year and for the phase; a unit's years sum to its phase
    /// value (flow) or are milestones that never fall and end at it (stock).
    func expectMargins(_ tree: Tree, _ value: [Int64: [Int?: Int]]) {
        for parent in tree.units where parent.level != .commune {
            let children = tree.units.filter { $0.parentID == parent.id }
            for year in [Int?.none] + tree.phase.years.map(Optional.some) {
                let sum = children.map { value[$0.id]?[year] ?? -1_000_000 }.reduce(0, +)
                #expect(sum == value[parent.id]?[year], "children of \(parent.code) in \(year.map(String.init) ?? "phase")")
            }
        }
        for unit in tree.units {
            let phaseValue = value[unit.id]![nil]!
            let years = tree.phase.years.map { value[unit.id]![$0]! }
            #expect(years.allSatisfy { $0 >= 0 })
            if tree.kind == .flow {
                #expect(years.reduce(0, +) == phaseValue)
            } else {
                #expect(years.last == phaseValue && zip(years, years.dropFirst()).allSatisfy { $0 <= $1 }, "\(unit.code): \(years)")
            }
        }
    }

    @Test(arguments: 0..<150)
    func everyParentsChildrenSumToItEveryYearAndCellsStayWithinTheirShares(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 104_729 &+ 1)
        let tree = randomTree(kind: seed % 2 == 0 ? .flow : .stock, &rng)
        let (kind, phase, units, rules, minimum, total, indicator, assigned) =
            (tree.kind, tree.phase, tree.units, tree.rules, tree.minimum, tree.total, tree.indicator, tree.assigned)
        let cells: [TargetCell]
        do {
            cells = try #require(try AllocationCascade.cells(indicator: indicator, phase: phase, units: units, cells: assigned, rules: rules))
        } catch let error as AllocationError {
            // Refused only when a district's share cannot hold its communes' minimums.
            #expect(minimum > 0 && error.reason.contains("minimum"), "refused a feasible tree: \(error)")
            return
        }
        var value: [Int64: [Int?: Int]] = [1: [nil: total]]
        for cell in cells { value[cell.unitID, default: [:]][cell.year] = cell.value }
        // Shuffled units give the same cells.
        var shuffled = units
        shuffled.shuffle(using: &rng)
        let again = try AllocationCascade.cells(indicator: indicator, phase: phase, units: shuffled, cells: assigned, rules: rules)!
        #expect(Set(again.map { "\($0.unitID)/\($0.year ?? 0)=\($0.value)" }) == Set(cells.map { "\($0.unitID)/\($0.year ?? 0)=\($0.value)" }))

        expectMargins(tree, value)
        for unit in units {
            let phaseValue = value[unit.id]![nil]!
            if unit.level == .commune { #expect(phaseValue >= minimum) }
            // The phase value and each yearly cell are the floor or ceiling of the unit's exact share.
            guard let parent = unit.parentID else { continue }
            let parentYears = phase.years.map { value[parent]![$0]! }
            let parentTotal = value[parent]![nil]!
            let share = exactShare(of: unit, among: units.filter { $0.parentID == parent }, total: parentTotal, rule: rules[parent]!)
            #expect(Double(phaseValue) >= share.rounded(.down) - 1e-9 && Double(phaseValue) <= share.rounded(.up) + 1e-9, "\(unit.code) phase")
            for (i, year) in phase.years.enumerated() where parentTotal > 0 {
                // Flow: shares of the parent's yearly count; stock: of its cumulative milestone.
                let exact = share * Double(parentYears[i]) / Double(parentTotal)
                let cell = Double(value[unit.id]![year]!)
                #expect(cell >= (exact + 1e-9).rounded(.down) && cell <= (exact - 1e-9).rounded(.up), "\(unit.code) \(year)")
            }
        }
    }

    @Test(arguments: 0..<100)
    func locksTakenFromAnAllocationAreKeptAndEveryMarginHolds(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 7_919 &+ 13)
        let tree = randomTree(kind: seed % 2 == 0 ? .stock : .flow, &rng)
        // Trees refused for their minimums are the other test's business.
        guard let first = try? AllocationCascade.cells(indicator: tree.indicator, phase: tree.phase, units: tree.units, cells: tree.assigned, rules: tree.rules)
        else { return }
        // Lock one cell in twenty where the allocation put it: the province's years, districts' and
        // communes' years and phase values.
        let locks = first.filter { _ in Int.random(in: 0..<20, using: &rng) == 0 }
            .map { TargetCell(unitID: $0.unitID, year: $0.year, value: $0.value, origin: "overridden", locked: true) }
        let cells = try #require(try AllocationCascade.cells(indicator: tree.indicator, phase: tree.phase, units: tree.units, cells: tree.assigned + locks, rules: tree.rules))
        var value: [Int64: [Int?: Int]] = [1: [nil: tree.total]]
        for cell in cells { value[cell.unitID, default: [:]][cell.year] = cell.value }
        for lock in locks { #expect(value[lock.unitID]?[lock.year] == lock.value, "the lock of \(lock.unitID) in \(lock.year.map(String.init) ?? "phase")") }
        expectMargins(tree, value)
        for unit in tree.units where unit.level == .commune { #expect(value[unit.id]![nil]! >= tree.minimum) }
    }

    /// A unit's exact share of its parent's phase value, as docs/allocation-and-completion.md defines it: by weight
    /// (equal when all are 0), a unit whose share is below the minimum getting the minimum and
    /// the others sharing the rest again.
    func exactShare(of unit: TargetUnit, among siblings: [TargetUnit], total: Int, rule: AllocationRule) -> Double {
        func weight(_ u: TargetUnit) -> Double { rule.childMethod == "weighted" ? Double(rule.childWeights[u.code] ?? 0) : 1 }
        var free = siblings
        var remaining = Double(total)
        while true {
            let sum = free.map(weight).reduce(0, +)
            let share = { (u: TargetUnit) in sum == 0 ? remaining / Double(free.count) : remaining * weight(u) / sum }
            let below = free.filter { share($0) < Double(rule.minimumPerChild) - 1e-9 }
            if below.isEmpty { return share(unit) }
            if below.contains(where: { $0.id == unit.id }) { return Double(rule.minimumPerChild) }
            remaining -= Double(rule.minimumPerChild * below.count)
            free.removeAll { u in below.contains { $0.id == u.id } }
        }
    }
}

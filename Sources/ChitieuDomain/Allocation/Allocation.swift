/// How an indicator accumulates over time.
public enum IndicatorKind: String, Sendable, CaseIterable {
    /// Events counted per period and summed (courses held). Yearly values add up to the phase value.
    case flow
    /// A level read at the end of a period (teams operating). Yearly values are cumulative
    /// milestones; the last one is the phase value.
    case stock
}

/// One child unit in an allocation.
public struct AllocationChild: Sendable, Hashable {
    /// The unit.
    public var unitID: Int64
    /// A stable key (the GSO code) that orders children, so results never depend on input order.
    public var key: String
    /// The child's weight (≥ 0); equal weights for the `equal` rule.
    public var weight: Int64
    /// A phase total fixed by hand, kept as is.
    public var lockedTotal: Int?
    /// Yearly values fixed by hand, by year index: increments for flow, milestones for stock.
    public var lockedYears: [Int: Int]

    /// Creates a child.
    public init(unitID: Int64, key: String, weight: Int64 = 1, lockedTotal: Int? = nil, lockedYears: [Int: Int] = [:]) {
        self.unitID = unitID
        self.key = key
        self.weight = weight
        self.lockedTotal = lockedTotal
        self.lockedYears = lockedYears
    }
}

/// What the allocation gives one child.
public struct ChildAllocation: Sendable, Equatable {
    /// The child's phase value.
    public var total: Int
    /// Yearly values: increments for flow, cumulative milestones for stock.
    public var years: [Int]
}

/// Why an allocation cannot be made; names the units and the numbers.
public struct AllocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is impossible and why.
    public var reason: String
    /// The units involved (their keys).
    public var units: [String]

    public var description: String { reason }
}

/// Exact allocation: splits a parent's yearly values among its children so that
/// - children's values sum exactly to the parent's, every year and for the phase;
/// - each child's yearly values sum to its phase value (flow) or end at it (stock);
/// - every cell is the floor or the ceiling of its exact proportional share (a controlled
///   rounding with both margins fixed), except locked cells and where a minimum forces it;
/// - the same inputs, in any order, give the same output.
public enum Allocation {
    /// Splits a phase total over years by weights (equal when nil): increments for flow,
    /// cumulative milestones for stock. Locked years (by index) keep their values.
    public static func splitYears(
        total: Int, years: Int, weights: [Int64]? = nil, kind: IndicatorKind, locked: [Int: Int] = [:]
    ) throws(AllocationError) -> [Int] {
        guard total >= 0, years > 0 else { throw AllocationError(reason: "the total must be ≥ 0 and the phase have at least one year", units: []) }
        let weights = weights ?? Array(repeating: 1, count: years)
        guard weights.count == years, weights.allSatisfy({ $0 >= 0 }) else {
            throw AllocationError(reason: "the year profile needs \(years) weights, none negative", units: [])
        }
        var children = (0..<years).map { i in
            AllocationChild(unitID: Int64(i), key: String(repeating: "0", count: 4 - min(4, String(i).count)) + String(i), weight: weights[i])
        }
        if kind == .flow {
            for (i, v) in locked {
                guard (0..<years).contains(i) else { throw AllocationError(reason: "year index \(i) is outside the phase", units: []) }
                children[i].lockedTotal = v
            }
            return try apportion(total: total, children: children, minimum: 0)
        }
        guard locked.isEmpty else {
            throw AllocationError(reason: "fixed milestones in a stock indicator's year profile are set on the milestones themselves, not locked", units: [])
        }
        var running = 0
        return try apportion(total: total, children: children, minimum: 0).map { running += $0; return running }
    }

    /// Allocates a parent's yearly values among children. Results are in the order of `children`.
    public static func allocate(
        kind: IndicatorKind, parentYears: [Int], minimumPerChild: Int = 0, children input: [AllocationChild]
    ) throws(AllocationError) -> [ChildAllocation] {
        let m = parentYears.count
        guard m > 0 else { throw AllocationError(reason: "the phase has no years", units: []) }
        guard parentYears.allSatisfy({ $0 >= 0 }) else { throw AllocationError(reason: "yearly values must be ≥ 0", units: []) }
        // Parent increments and total.
        var increments = parentYears
        if kind == .stock {
            for y in stride(from: m - 1, to: 0, by: -1) { increments[y] = parentYears[y] - parentYears[y - 1] }
            if let bad = increments.firstIndex(where: { $0 < 0 }) {
                throw AllocationError(reason: "stock milestones must not decrease (year \(bad + 1) is below year \(bad))", units: [])
            }
        }
        let total = increments.reduce(0, +)
        if input.isEmpty {
            if total == 0 { return [] }
            throw AllocationError(reason: "there are no units to allocate \(total) to", units: [])
        }
        // A canonical order, so that shuffled input gives the same result.
        let order = input.indices.sorted { input[$0].key < input[$1].key || (input[$0].key == input[$1].key && input[$0].unitID < input[$1].unitID) }
        let children = order.map { input[$0] }

        let totals = try apportion(total: total, children: children, minimum: minimumPerChild)
        let cells = try controlledRounding(kind: kind, totals: totals, increments: increments, children: children)

        var result = [ChildAllocation](repeating: ChildAllocation(total: 0, years: []), count: input.count)
        for (position, original) in order.enumerated() {
            var years = cells[position]
            if kind == .stock {
                var running = 0
                years = years.map { running += $0; return running }
            }
            result[original] = ChildAllocation(total: totals[position], years: years)
        }
        return result
    }

    /// Phase totals of the children: locked ones kept, a minimum each, the rest by largest
    /// remainder on exact integer quotas (ties go to the smaller key).
    static func apportion(total: Int, children: [AllocationChild], minimum: Int) throws(AllocationError) -> [Int] {
        guard minimum >= 0 else { throw AllocationError(reason: "the minimum per unit must be ≥ 0", units: []) }
        if let negative = children.first(where: { $0.weight < 0 }) {
            throw AllocationError(reason: "the weight of \(negative.key) is negative", units: [negative.key])
        }
        if let negative = children.first(where: { ($0.lockedTotal ?? 0) < 0 }) {
            throw AllocationError(reason: "the locked value of \(negative.key) is negative", units: [negative.key])
        }
        var result = children.map { $0.lockedTotal ?? 0 }
        let locked = children.indices.filter { children[$0].lockedTotal != nil }
        let lockedSum = locked.reduce(0) { $0 + result[$1] }
        if lockedSum > total {
            let names = locked.map { "\(children[$0].key) (\(result[$0]))" }
            throw AllocationError(
                reason: "locked values \(names.joined(separator: ", ")) sum to \(lockedSum), more than the \(total) to allocate",
                units: locked.map { children[$0].key })
        }
        var free = children.indices.filter { children[$0].lockedTotal == nil }
        var remaining = total - lockedSum
        if free.isEmpty {
            guard remaining == 0 else {
                throw AllocationError(
                    reason: "every unit is locked, and the locked values sum to \(lockedSum), not \(total)",
                    units: children.map(\.key))
            }
            return result
        }
        if minimum * free.count > remaining {
            throw AllocationError(
                reason: "a minimum of \(minimum) for each of \(free.count) units needs \(minimum * free.count), but only \(remaining) is left to allocate",
                units: free.map { children[$0].key })
        }
        // Units whose share falls below the minimum get the minimum; the rest share what is left.
        while true {
            let weightSum = free.reduce(Int64(0)) { $0 + children[$1].weight }
            let equal = weightSum == 0
            let w: (Int) -> Int64 = { equal ? 1 : children[$0].weight }
            let denominator = equal ? Int64(free.count) : weightSum
            let below = free.filter { i in
                Int64(remaining).multipliedFullWidth(by: w(i)) < Int64(minimum).multipliedFullWidth(by: denominator)
            }
            if below.isEmpty || minimum == 0 {
                // Largest remainder on exact quotas remaining * w / denominator.
                var floors: [Int: Int] = [:]
                var remainders: [(index: Int, remainder: Int64)] = []
                var assigned = 0
                for i in free {
                    let (q, r) = quotient(Int64(remaining), w(i), denominator)
                    floors[i] = Int(q)
                    assigned += Int(q)
                    remainders.append((i, r))
                }
                remainders.sort { $0.remainder > $1.remainder || ($0.remainder == $1.remainder && $0.index < $1.index) }
                for k in 0..<(remaining - assigned) { floors[remainders[k].index]! += 1 }
                for i in free { result[i] = floors[i]! }
                return result
            }
            for i in below { result[i] = minimum }
            remaining -= minimum * below.count
            let forced = Set(below)
            free.removeAll { forced.contains($0) }
            if free.isEmpty { return result }
        }
    }

    /// floor(a * b / c) and its remainder, without overflow for the values allocation meets.
    static func quotient(_ a: Int64, _ b: Int64, _ c: Int64) -> (Int64, Int64) {
        let product = a.multipliedFullWidth(by: b)
        let (q, r) = c.dividingFullWidth(product)
        return (q, r)
    }

    /// The child × year increments: rows sum to the children's totals, columns to the parent's
    /// increments, and each cell (flow) or cumulative cell (stock) is the floor or ceiling of its
    /// exact share total_c × parent_y / parent_total.
    static func controlledRounding(
        kind: IndicatorKind, totals: [Int], increments: [Int], children: [AllocationChild], relaxed: Bool = false
    ) throws(AllocationError) -> [[Int]] {
        let n = children.count, m = increments.count
        let grand = increments.reduce(0, +)
        var cumulative = increments
        for y in 1..<max(m, 1) where m > 1 { cumulative[y] += cumulative[y - 1] }
        // Nodes: 0 hub, 1...m years, then n*m chain nodes.
        let hub = 0
        func yearNode(_ y: Int) -> Int { 1 + y }
        func chainNode(_ c: Int, _ y: Int) -> Int { 1 + m + c * m + y }
        var network = BoundedFlow(nodes: 1 + m + n * m)
        var cellEdges: [[(handle: (from: Int, index: Int), lower: Int)]] = Array(repeating: [], count: n)
        func bounds(_ total: Int, _ part: Int) -> (Int, Int) {
            guard grand > 0 else { return (0, 0) }
            let (q, r) = quotient(Int64(total), Int64(part), Int64(grand))
            return (Int(q), Int(q) + (r > 0 ? 1 : 0))
        }
        // Cells that share a row or a year with a locked cell take up the difference the lock
        // makes, so they are bounded only by the row's total.
        let lockedYears = relaxed ? Set(0..<m) : Set(children.flatMap { $0.lockedYears.keys })
        for c in 0..<n {
            let total = totals[c]
            let rowLocked = relaxed || !children[c].lockedYears.isEmpty
            network.addEdge(from: hub, to: chainNode(c, 0), lower: total, upper: total)
            for y in 0..<m {
                var lower: Int, upper: Int
                if kind == .flow {
                    (lower, upper) = bounds(total, increments[y])
                    if rowLocked || lockedYears.contains(y) { (lower, upper) = (0, total) }
                    if let fixed = children[c].lockedYears[y] { (lower, upper) = (fixed, fixed) }
                } else {
                    (lower, upper) = (0, total)
                }
                guard lower <= upper, lower >= 0 else {
                    throw AllocationError(reason: "the locked value of \(children[c].key) in year \(y + 1) is negative", units: [children[c].key])
                }
                cellEdges[c].append((network.addEdge(from: chainNode(c, y), to: yearNode(y), lower: lower, upper: upper), lower))
                if y + 1 < m {
                    // What is left of the child's total after year y: total − milestone_y.
                    var (lo, hi) = (0, total)
                    if kind == .stock && !rowLocked && !lockedYears.contains(y) {
                        let (mLow, mHigh) = bounds(total, cumulative[y])
                        (lo, hi) = (total - mHigh, total - mLow)
                        if let fixed = children[c].lockedYears[y] { (lo, hi) = (total - fixed, total - fixed) }
                    }
                    guard lo >= 0, lo <= hi else {
                        throw AllocationError(
                            reason: "the locked milestone of \(children[c].key) in year \(y + 1) is outside 0…\(total)",
                            units: [children[c].key])
                    }
                    network.addEdge(from: chainNode(c, y), to: chainNode(c, y + 1), lower: lo, upper: hi)
                }
            }
            if kind == .stock, let fixed = children[c].lockedYears[m - 1], fixed != total {
                throw AllocationError(
                    reason: "the locked final milestone of \(children[c].key) (\(fixed)) differs from its phase value \(total)",
                    units: [children[c].key])
            }
        }
        for y in 0..<m {
            network.addEdge(from: yearNode(y), to: hub, lower: increments[y], upper: increments[y])
        }
        guard network.solve() else {
            // A lock can shift the whole table: try again with every unlocked cell free
            // within its row's total (margins stay exact).
            if !relaxed && !lockedYears.isEmpty {
                return try controlledRounding(kind: kind, totals: totals, increments: increments, children: children, relaxed: true)
            }
            let locked = children.filter { !$0.lockedYears.isEmpty }.map(\.key)
            throw AllocationError(
                reason: "the locked yearly values of \(locked.isEmpty ? "the units" : locked.joined(separator: ", ")) cannot be met within the parent's yearly values \(increments)",
                units: locked)
        }
        return cellEdges.map { row in row.map { network.flow($0.handle, lower: $0.lower) } }
    }
}

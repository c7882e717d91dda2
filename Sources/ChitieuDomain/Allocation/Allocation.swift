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
    /// The input at fault, as the rule or the target names it: targets, weights, years.
    public var field = "targets"

    public var description: String { reason }
}


/// Exact allocation: splits a parent's yearly values among its children, and a phase value
/// over the years. What "exact" means, precisely (docs/allocation-and-completion.md says the same):
/// - children's values sum to the parent's, every year and for the phase; a child's yearly
///   values sum to its phase value (flow) or are cumulative milestones that never fall and end
///   at it (stock); locked values are kept;
/// - phase values: what the locked phase values leave is shared by weight (equally when every
///   weight is 0); a unit whose share is below its floor — the rule's minimum, or what its
///   locked years already hold — gets exactly its floor, and the others share the rest again.
///   Every phase value is the floor or the ceiling of that exact share;
/// - without locked years, every cell (flow) or milestone (stock) is the floor or the ceiling
///   of its exact share of the parent's value that year: the unit's exact phase share × the
///   parent's yearly value (stock: milestone) / the parent's phase value — a controlled
///   rounding of the units × years table with both margins fixed;
/// - with locked years, units that have them are split first: what is left of their phase
///   value goes to their other years in proportion to the parent's yearly values there (stock:
///   milestones between two fixed ones follow the parent's growth between them), each the floor
///   or ceiling of that share. What is left of each of the parent's years is then shared among
///   the other units in proportion to their phase values, floor or ceiling;
/// - when the locks cannot be met that way, they bind: margins and locks still hold, and the
///   other cells stay within the narrowest widening of floor and ceiling of their share (as
///   without locks) that admits them (`Outcome.locksBind`). When nothing admits them, the
///   inputs are refused, naming the units and the numbers;
/// - the same inputs, in any order, give the same output.
public enum Allocation {
    /// The largest value (a phase value, a yearly value, a lock, a minimum) an allocation takes.
    public static let maximumValue = 1_000_000_000_000
    /// The largest weight of one unit (a year profile's share included).
    public static let maximumWeight: Int64 = 100_000_000_000_000

    /// An allocation, and whether locks bound it (then cells are not all floor or ceiling of their share).
    public struct Outcome: Sendable, Equatable {
        /// By child, in the order of the input.
        public var children: [ChildAllocation]
        /// True when the locked years could not be met from the shares of what is left.
        public var locksBind: Bool

        /// Creates an outcome.
        public init(children: [ChildAllocation], locksBind: Bool) {
            self.children = children
            self.locksBind = locksBind
        }
    }

    /// Splits a phase total over years by weights (equal when nil or all 0): increments for flow,
    /// cumulative milestones for stock. Locked years (by index) keep their values: for flow the
    /// rest is shared by the other years' weights (largest remainder); for stock a locked value is
    /// a milestone, and the milestones between two fixed ones (0 before the phase, the locks, the
    /// total at its end) follow the profile's cumulative weights, rounded to the nearest whole
    /// number, so they never fall.
    public static func splitYears(
        total: Int, years: Int, weights: [Int64]? = nil, kind: IndicatorKind, locked: [Int: Int] = [:]
    ) throws(AllocationError) -> [Int] {
        guard (0...maximumValue).contains(total), years > 0 else {
            throw AllocationError(reason: "the total must be from 0 to \(maximumValue) and the phase have at least one year", units: [])
        }
        let weights = weights ?? Array(repeating: 1, count: years)
        guard weights.count == years, weights.allSatisfy({ (0...maximumWeight).contains($0) }) else {
            throw AllocationError(reason: "the year profile needs \(years) weights from 0 to \(maximumWeight)", units: [])
        }
        for (i, v) in locked.sorted(by: { $0.key < $1.key }) {
            guard (0..<years).contains(i) else { throw AllocationError(reason: "year index \(i) is outside the phase", units: []) }
            guard (0...maximumValue).contains(v) else {
                throw AllocationError(reason: "the locked value of year \(i + 1) (\(v)) is not from 0 to \(maximumValue)", units: [])
            }
        }
        if kind == .flow {
            var children = (0..<years).map { i in AllocationChild(unitID: Int64(i), key: yearKey(i), weight: weights[i]) }
            for (i, v) in locked { children[i].lockedTotal = v }
            return try apportion(total: total, children: children, floors: Array(repeating: 0, count: years), minimum: 0).totals
        }
        let profile = weights.allSatisfy { $0 == 0 } ? Array(repeating: 1, count: years) : weights.map(Int.init)
        var cumulative = profile
        for y in cumulative.indices.dropFirst() { cumulative[y] += cumulative[y - 1] }
        if let last = locked[years - 1], last != total {
            throw AllocationError(reason: "the locked milestone of the last year (\(last)) differs from the phase value \(total)", units: [])
        }
        let anchors = try milestoneAnchors(locked, total: total, years: years, key: nil)
        let shares = try milestones(anchors: anchors, cumulative: cumulative, stayFlat: true)
        var result: [Int] = []
        for share in shares {
            // stayFlat gives a share for every year.
            guard let share else { throw AllocationError(reason: "the year profile gives no milestone", units: []) }
            result.append(try share.nearest)
        }
        return result
    }

    /// Allocates a parent's yearly values among children. Results are in the order of `children`.
    public static func allocate(
        kind: IndicatorKind, parentYears: [Int], minimumPerChild: Int = 0, children: [AllocationChild]
    ) throws(AllocationError) -> [ChildAllocation] {
        try allocation(kind: kind, parentYears: parentYears, minimumPerChild: minimumPerChild, children: children).children
    }

    /// Allocates a parent's yearly values among children, saying whether locks bound the result.
    public static func allocation(
        kind: IndicatorKind, parentYears: [Int], minimumPerChild: Int = 0, children input: [AllocationChild]
    ) throws(AllocationError) -> Outcome {
        let m = parentYears.count
        guard m > 0 else { throw AllocationError(reason: "the phase has no years", units: []) }
        guard parentYears.allSatisfy({ (0...maximumValue).contains($0) }) else {
            throw AllocationError(reason: "yearly values must be from 0 to \(maximumValue)", units: [])
        }
        guard (0...maximumValue).contains(minimumPerChild) else {
            throw AllocationError(reason: "the minimum per unit must be from 0 to \(maximumValue)", units: [])
        }
        var increments = parentYears
        if kind == .stock {
            for y in stride(from: m - 1, to: 0, by: -1) { increments[y] = parentYears[y] - parentYears[y - 1] }
            if let bad = increments.firstIndex(where: { $0 < 0 }) {
                throw AllocationError(reason: "stock milestones must not decrease (year \(bad + 1) is below year \(bad))", units: [])
            }
        }
        let total = increments.reduce(0, +)
        guard total <= maximumValue else { throw AllocationError.tooLarge }
        if input.isEmpty {
            if total == 0 { return Outcome(children: [], locksBind: false) }
            throw AllocationError(reason: "there are no units to allocate \(total) to", units: [])
        }
        // A canonical order, so that shuffled input gives the same result.
        let order = input.indices.sorted { input[$0].key < input[$1].key || (input[$0].key == input[$1].key && input[$0].unitID < input[$1].unitID) }
        var children = order.map { input[$0] }
        var floors: [Int] = []
        for i in children.indices {
            let floor = try prepare(&children[i], kind: kind, years: m)
            floors.append(children[i].lockedTotal == nil ? max(minimumPerChild, floor) : 0)
        }
        let (totals, shares) = try apportion(total: total, children: children, floors: floors, minimum: minimumPerChild)
        let (cells, locksBind) = try yearly(kind: kind, parentYears: parentYears, increments: increments, totals: totals, shares: shares, children: children)

        var result = [ChildAllocation](repeating: ChildAllocation(total: 0, years: []), count: input.count)
        for (position, original) in order.enumerated() {
            var running = 0
            let years = kind == .flow ? cells[position] : cells[position].map { running += $0; return running }
            result[original] = ChildAllocation(total: cells[position].reduce(0, +), years: years)
        }
        return Outcome(children: result, locksBind: locksBind)
    }

    /// Checks a child's inputs and fixes its phase value when its locked years do (flow: every
    /// year locked; stock: the last milestone locked). Returns what its locked years already hold
    /// (flow: their sum; stock: the highest milestone), the least phase value it can have.
    static func prepare(_ child: inout AllocationChild, kind: IndicatorKind, years m: Int) throws(AllocationError) -> Int {
        let key = child.key
        guard (0...maximumWeight).contains(child.weight) else {
            throw AllocationError(reason: "the weight of \(key) (\(child.weight)) is not from 0 to \(maximumWeight)", units: [key])
        }
        if let locked = child.lockedTotal, !(0...maximumValue).contains(locked) {
            throw AllocationError(reason: "the locked value of \(key) (\(locked)) is not from 0 to \(maximumValue)", units: [key])
        }
        let locks = child.lockedYears.sorted { $0.key < $1.key }
        for (y, v) in locks {
            guard (0..<m).contains(y) else { throw AllocationError(reason: "year index \(y) of \(key) is outside the phase", units: [key]) }
            guard (0...maximumValue).contains(v) else {
                throw AllocationError(reason: "the locked value of \(key) in year \(y + 1) (\(v)) is not from 0 to \(maximumValue)", units: [key])
            }
        }
        var implied: Int?
        let held: Int
        switch kind {
        case .flow:
            held = locks.reduce(0) { $0 + $1.value }
            if locks.count == m { implied = held }
        case .stock:
            for (a, b) in zip(locks, locks.dropFirst()) where a.value > b.value {
                throw AllocationError(
                    reason: "the locked milestones of \(key) fall: \(a.value) in year \(a.key + 1), \(b.value) in year \(b.key + 1)", units: [key])
            }
            held = locks.last?.value ?? 0
            implied = child.lockedYears[m - 1]
        }
        if let implied {
            if let locked = child.lockedTotal, locked != implied {
                throw AllocationError(
                    reason: "the locked years of \(key) make its phase value \(implied), but its locked phase value is \(locked)", units: [key])
            }
            child.lockedTotal = implied
        }
        if let locked = child.lockedTotal, locked < held {
            throw AllocationError(
                reason: "the locked phase value of \(key) (\(locked)) is below the \(held) its locked years hold", units: [key])
        }
        return held
    }

    /// Phase values of the children and their exact shares: locked ones kept; the rest shared by
    /// weight, a unit below its floor getting exactly its floor and the others sharing what is
    /// left again; then largest remainder on the exact shares (ties go to the smaller key).
    static func apportion(
        total: Int, children: [AllocationChild], floors: [Int], minimum: Int
    ) throws(AllocationError) -> (totals: [Int], shares: [Share]) {
        if let bad = children.first(where: { !(0...maximumWeight).contains($0.weight) }) {
            throw AllocationError(reason: "the weight of \(bad.key) (\(bad.weight)) is not from 0 to \(maximumWeight)", units: [bad.key])
        }
        if let negative = children.first(where: { ($0.lockedTotal ?? 0) < 0 }) {
            throw AllocationError(reason: "the locked value of \(negative.key) is negative", units: [negative.key])
        }
        var shares = children.map { Share($0.lockedTotal ?? 0) }
        let locked = children.indices.filter { children[$0].lockedTotal != nil }
        let lockedSum = locked.reduce(0) { $0 + children[$1].lockedTotal! }
        if lockedSum > total {
            let names = locked.map { "\(children[$0].key) (\(children[$0].lockedTotal!))" }
            throw AllocationError(
                reason: "locked values \(names.joined(separator: ", ")) sum to \(lockedSum), more than the \(total) to allocate",
                units: locked.map { children[$0].key })
        }
        var free = children.indices.filter { children[$0].lockedTotal == nil }
        var remaining = total - lockedSum
        if free.isEmpty {
            guard remaining == 0 else {
                throw AllocationError(
                    reason: "every unit is locked, and the locked values sum to \(lockedSum), not \(total)", units: children.map(\.key))
            }
            return (children.map { $0.lockedTotal! }, shares)
        }
        let needed = free.reduce(0) { $0 + floors[$1] }
        if needed > remaining {
            let raised = free.filter { floors[$0] > minimum }
            if raised.isEmpty {
                throw AllocationError(
                    reason: "a minimum of \(minimum) for each of \(free.count) units needs \(needed), but only \(remaining) is left to allocate",
                    units: free.map { children[$0].key })
            }
            let names = raised.map { "\(children[$0].key) (\(floors[$0]))" }
            throw AllocationError(
                reason: "the locked years of \(names.joined(separator: ", "))\(minimum > 0 ? " and a minimum of \(minimum) for the other units" : "") need \(needed), but only \(remaining) is left to allocate",
                units: raised.map { children[$0].key })
        }
        // Units whose share falls below their floor get the floor; the rest share what is left.
        var remainderKey = [Int128](repeating: 0, count: children.count)
        while !free.isEmpty {
            let weightSum = free.reduce(Int128(0)) { $0 + Int128(children[$1].weight) }
            let equal = weightSum == 0
            let denominator = equal ? Int128(free.count) : weightSum
            func weight(_ i: Int) -> Int128 { equal ? 1 : Int128(children[i].weight) }
            var below: [Int] = []
            for i in free {
                if try Share.product(Int128(remaining), weight(i)) < Share.product(Int128(floors[i]), denominator) { below.append(i) }
            }
            if below.isEmpty {
                for i in free {
                    let numerator = try Share.product(Int128(remaining), weight(i))
                    shares[i] = try Share(numerator, over: denominator)
                    remainderKey[i] = numerator % denominator
                }
                break
            }
            for i in below {
                shares[i] = Share(floors[i])
                remaining -= floors[i]
            }
            free.removeAll { below.contains($0) }
        }
        var totals: [Int] = []
        for share in shares { totals.append(try share.floor) }
        let short = total - totals.reduce(0, +)
        // Remainders of the shares still free share one denominator; forced and locked ones have none.
        let candidates = children.indices.filter { children[$0].lockedTotal == nil }
            .sorted { remainderKey[$0] > remainderKey[$1] || (remainderKey[$0] == remainderKey[$1] && $0 < $1) }
        guard short >= 0, short <= candidates.count else { throw AllocationError.tooLarge }
        for k in 0..<short { totals[candidates[k]] += 1 }
        return (totals, shares)
    }

    static func yearKey(_ i: Int) -> String { String(repeating: "0", count: 4 - min(4, String(i).count)) + String(i) }
}

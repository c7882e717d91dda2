import ChitieuDomain
import Testing

/// Random allocations (seeded, so a failure replays by its seed) checked by `AllocationChecker`,
/// which computes the definition of "exact" in docs/allocation-and-completion.md on its own.
@Suite("Exact allocation: properties over random tables")
struct AllocationPropertyTests {
    func parentYears(_ rng: inout SeededRandom, kind: IndicatorKind, years: Int, total: Int) -> [Int] {
        // Random increments summing to the total.
        var increments = [Int](repeating: 0, count: years)
        for _ in 0..<total { increments[Int.random(in: 0..<years, using: &rng)] += 1 }
        if Int.random(in: 0..<4, using: &rng) == 0 { increments[Int.random(in: 0..<years, using: &rng)] = 0 }
        return kind == .flow ? increments : AllocationChecker.cumulative(increments)
    }

    /// A small case, with random locks (phase and yearly, flow and stock) and minimums.
    func smallCase(_ rng: inout SeededRandom) -> AllocationCase {
        let kind: IndicatorKind = Bool.random(using: &rng) ? .flow : .stock
        let m = Int.random(in: 1...3, using: &rng)
        let years = parentYears(&rng, kind: kind, years: m, total: Int.random(in: 0...8, using: &rng))
        let total = kind == .flow ? years.reduce(0, +) : years.last!
        let n = Int.random(in: 1...3, using: &rng)
        var children: [AllocationChild] = []
        for i in 0..<n {
            var child = AllocationChild(unitID: Int64(i + 1), key: "0\(2959 + 3 * i)", weight: Int64.random(in: 0...3, using: &rng))
            if Int.random(in: 0..<6, using: &rng) == 0 { child.lockedTotal = Int.random(in: 0...total, using: &rng) }
            for y in 0..<m where Int.random(in: 0..<4, using: &rng) == 0 { child.lockedYears[y] = Int.random(in: 0...max(1, total / 2), using: &rng) }
            children.append(child)
        }
        return AllocationCase(kind: kind, parentYears: years, minimum: Int.random(in: 0..<3, using: &rng) == 0 ? 1 : 0, children: children)
    }

    /// A larger case without locks.
    func largeCase(_ rng: inout SeededRandom) -> AllocationCase {
        let kind: IndicatorKind = Bool.random(using: &rng) ? .flow : .stock
        let m = Int.random(in: 1...6, using: &rng)
        let years = parentYears(&rng, kind: kind, years: m, total: Int.random(in: 0...3_000, using: &rng))
        let n = Int.random(in: 1...25, using: &rng)
        let children = (0..<n).map { AllocationChild(unitID: Int64($0 + 1), key: "u\(1000 + $0)", weight: Int64.random(in: 0...40, using: &rng)) }
        let total = kind == .flow ? years.reduce(0, +) : years.last!
        // A minimum the total can hold (refusals are the small cases' business).
        return AllocationCase(kind: kind, parentYears: years, minimum: Int.random(in: 0..<3, using: &rng) == 0 && 2 * n <= total ? 2 : 0, children: children)
    }

    func outcome(_ c: AllocationCase) throws(AllocationError) -> Allocation.Outcome {
        try Allocation.allocation(kind: c.kind, parentYears: c.parentYears, minimumPerChild: c.minimum, children: c.children)
    }

    /// The same children shuffled give every child the same values.
    func expectOrderDoesNotMatter(_ c: AllocationCase, _ first: Allocation.Outcome, _ rng: inout SeededRandom) throws {
        var pairs = Array(zip(c.children, first.children))
        pairs.shuffle(using: &rng)
        let again = try Allocation.allocation(kind: c.kind, parentYears: c.parentYears, minimumPerChild: c.minimum, children: pairs.map(\.0))
        #expect(again.children == pairs.map(\.1), "order changed the result: \(c)")
        #expect(again.locksBind == first.locksBind)
    }

    @Test(arguments: 0..<400)
    func smallTablesAreExactOrRefusedOnlyWhenNoTableExists(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 6_364_136_223 &+ 17)
        let c = smallCase(&rng)
        let result: Allocation.Outcome
        do {
            result = try outcome(c)
        } catch {
            // Refused: no table holds the margins and locks with phase values floor or ceiling of their shares.
            guard let shares = AllocationChecker.shares(c) else { return }
            let allowed = shares.enumerated().map { i, s in c.children[i].lockedTotal.map { $0...$0 } ?? (s.floor...s.ceil) }
            let tables = AllocationChecker.tables(c, allowed: allowed, limit: 1)
            #expect(tables.isEmpty, "refused (\(error)) although \(tables.first ?? []) meets it: \(c)")
            return
        }
        #expect(AllocationChecker.problems(c, result) == [], "\(c)")
        if result.locksBind, let shares = AllocationChecker.shares(c) {
            // Locks are said to bind only when no table meets the proportional definition.
            let totals = AllocationChecker.largestRemainder(c, shares)
            let tables = AllocationChecker.tables(c, allowed: totals.map { $0...$0 })
            let meeting = tables.first { AllocationChecker.meetsProportional(c, totals: totals, table: $0) }
            #expect(meeting == nil, "locks said to bind although \(meeting ?? []) meets the shares of what is left: \(c)")
        }
        try expectOrderDoesNotMatter(c, result, &rng)
    }

    @Test(arguments: 0..<200)
    func largeTablesAreExactAndKeepLocksTakenFromAnAllocation(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 2_862_933_555_777_941_757 &+ 3)
        var c = largeCase(&rng)
        let first = try outcome(c)
        #expect(AllocationChecker.problems(c, first) == [], "\(c)")
        try expectOrderDoesNotMatter(c, first, &rng)
        // Lock some of its cells (and a few phase values) where they are: still met, and exact.
        for i in c.children.indices {
            if Int.random(in: 0..<5, using: &rng) == 0 { c.children[i].lockedYears[Int.random(in: 0..<c.m, using: &rng)] = first.children[i].years.randomElement(using: &rng)! }
            if Int.random(in: 0..<12, using: &rng) == 0 { c.children[i].lockedTotal = first.children[i].total }
        }
        for i in c.children.indices {
            for (y, _) in c.children[i].lockedYears { c.children[i].lockedYears[y] = first.children[i].years[y] }
        }
        let locked = try outcome(c)
        #expect(AllocationChecker.problems(c, locked) == [], "\(c)")
        try expectOrderDoesNotMatter(c, locked, &rng)
    }

    @Test(arguments: 0..<200)
    func yearSplitsAreExact(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 40_503 &+ 11)
        let kind: IndicatorKind = Bool.random(using: &rng) ? .flow : .stock
        let m = Int.random(in: 1...6, using: &rng)
        let total = Int.random(in: 0...500, using: &rng)
        let weights: [Int64]? = Bool.random(using: &rng) ? nil : (0..<m).map { _ in Int64.random(in: 0...5, using: &rng) }
        let profile = (weights ?? Array(repeating: 1, count: m)).allSatisfy { $0 == 0 } ? Array(repeating: 1, count: m) : (weights ?? Array(repeating: 1, count: m)).map(Int.init)
        let years = try Allocation.splitYears(total: total, years: m, weights: weights, kind: kind)
        let sum = profile.reduce(0, +)
        if kind == .flow {
            #expect(years.reduce(0, +) == total)
            for y in 0..<m { #expect(Ratio(total * profile[y], sum).admits(years[y]), "year \(y) of \(years)") }
        } else {
            #expect(years.last == total)
            #expect(zip(years, years.dropFirst()).allSatisfy { $0 <= $1 }, "milestones fall: \(years)")
            // Each milestone is the floor or the ceiling of its exact cumulative share.
            let cumulative = AllocationChecker.cumulative(profile)
            for y in 0..<m { #expect(Ratio(total * cumulative[y], sum).admits(years[y]), "milestone \(y) of \(years)") }
        }
    }

    /// Splits on today's units: a split commune's values shared among its parts.
    @Test(arguments: 0..<300)
    func splitsAmongPartsAreExact(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 1_442_695_040_888_963_407 &+ 5)
        let kind: IndicatorKind = Bool.random(using: &rng) ? .flow : .stock
        let m = Int.random(in: 1...5, using: &rng)
        var years: [Int?] = (0..<m).map { _ in Int.random(in: 0...200, using: &rng) }
        let rising = kind == .stock && Bool.random(using: &rng)
        if rising { years = AllocationChecker.cumulative(years.map { $0! }).map(Optional.some) }
        if !rising && Int.random(in: 0..<4, using: &rng) == 0 { years[Int.random(in: 0..<m, using: &rng)] = nil }
        let present = years.compactMap { $0 }
        let phase: Int? = kind == .flow ? present.reduce(0, +) : present.last
        let parts = (0..<Int.random(in: 2...5, using: &rng)).map {
            SuccessionLink(from: 1, to: Int64(10 + $0), toKey: "0\(3000 + 7 * $0)", weight: Int64.random(in: 1...5, using: &rng) * 1_000_000)
        }
        let weightSum = parts.map { Int($0.weight / 1_000_000) }.reduce(0, +)
        let split = try Succession.split(kind: kind, YearlySeries(years: years, phase: phase), among: parts)
        for y in 0..<m {
            guard let value = years[y] else {
                #expect(split.allSatisfy { $0.years[y] == nil })
                continue
            }
            #expect(split.map { $0.years[y] ?? -1 }.reduce(0, +) == value, "year \(y) margin")
            for (link, part) in zip(parts, split) {
                #expect(Ratio(value * Int(link.weight / 1_000_000), weightSum).admits(part.years[y] ?? -1), "year \(y): \(years) → \(split)")
            }
        }
        #expect(split.map { $0.phase ?? 0 }.reduce(0, +) == phase ?? 0)
        for (link, part) in zip(parts, split) {
            #expect(Ratio((phase ?? 0) * Int(link.weight / 1_000_000), weightSum).admits(part.phase ?? 0))
            if kind == .flow && !present.isEmpty { #expect(part.years.compactMap { $0 }.reduce(0, +) == part.phase) }
            if rising { #expect(zip(part.years, part.years.dropFirst()).allSatisfy { $0! <= $1! }, "a part's milestones fall: \(split)") }
        }
        // Shuffled parts get the same values.
        let order = parts.indices.shuffled(using: &rng)
        let again = try Succession.split(kind: kind, YearlySeries(years: years, phase: phase), among: order.map { parts[$0] })
        #expect(again == order.map { split[$0] })
    }
}

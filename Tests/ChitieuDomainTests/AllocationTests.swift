import ChitieuDomain
import Testing

/// A small deterministic generator (SplitMix64), so every random case can be replayed by seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// floor and ceiling of a × b / c.
func shareBounds(_ a: Int, _ b: Int, _ c: Int) -> ClosedRange<Int> {
    guard c > 0 else { return 0...0 }
    let q = a * b / c
    return q...(q + (a * b % c == 0 ? 0 : 1))
}

@Suite("Exact allocation")
struct AllocationTests {
    struct Case {
        var kind: IndicatorKind
        var parentYears: [Int]
        var minimum: Int
        var children: [AllocationChild]
    }

    func randomCase(_ rng: inout SeededRandom, locks: Bool) -> Case {
        let kind: IndicatorKind = Bool.random(using: &rng) ? .flow : .stock
        let years = Int.random(in: 1...6, using: &rng)
        let total = Int.random(in: 0...2_000, using: &rng)
        let increments = (try? Allocation.splitYears(total: total, years: years, weights: (0..<years).map { _ in Int64.random(in: 0...5, using: &rng) }, kind: .flow)) ?? []
        var parentYears = increments
        if kind == .stock {
            var running = 0
            parentYears = increments.map { running += $0; return running }
        }
        let n = Int.random(in: 1...30, using: &rng)
        let minimum = Bool.random(using: &rng) ? 0 : Int.random(in: 0...3, using: &rng)
        var children: [AllocationChild] = []
        for i in 0..<n {
            var child = AllocationChild(unitID: Int64(i + 1), key: "u\(1000 + i)", weight: Int64.random(in: 0...50, using: &rng))
            if locks && Int.random(in: 0..<10, using: &rng) == 0 { child.lockedTotal = Int.random(in: 0...(total / n + 2), using: &rng) }
            children.append(child)
        }
        return Case(kind: kind, parentYears: parentYears, minimum: minimum, children: children)
    }

    func check(_ c: Case, _ result: [ChildAllocation], sourceLocation: SourceLocation = #_sourceLocation) {
        let m = c.parentYears.count
        let increments = c.kind == .flow ? c.parentYears : c.parentYears.enumerated().map { $0 == 0 ? $1 : $1 - c.parentYears[$0 - 1] }
        let total = increments.reduce(0, +)
        #expect(result.map(\.total).reduce(0, +) == total, "phase margin", sourceLocation: sourceLocation)
        for y in 0..<m {
            #expect(result.map { $0.years[y] }.reduce(0, +) == c.parentYears[y], "year \(y) margin", sourceLocation: sourceLocation)
        }
        for (child, r) in zip(c.children, result) {
            if c.kind == .flow {
                #expect(r.years.reduce(0, +) == r.total, sourceLocation: sourceLocation)
            } else {
                #expect(r.years.last == r.total, sourceLocation: sourceLocation)
                #expect(zip(r.years, r.years.dropFirst()).allSatisfy { $0 <= $1 }, "milestones never decrease", sourceLocation: sourceLocation)
            }
            if let locked = child.lockedTotal { #expect(r.total == locked, "locked total kept", sourceLocation: sourceLocation) }
            #expect(r.total >= (child.lockedTotal == nil ? c.minimum : 0), "minimum", sourceLocation: sourceLocation)
            // Every cell is the floor or ceiling of its exact share of the child's total.
            for y in 0..<m {
                let parentPart = c.kind == .flow ? increments[y] : c.parentYears[y]
                #expect(shareBounds(r.total, parentPart, total).contains(r.years[y]), "cell \(child.key) year \(y)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: 0..<400)
    func randomAllocationsHoldEveryProperty(seed: Int) throws {
        var rng = SeededRandom(state: UInt64(seed) &* 7919)
        let c = randomCase(&rng, locks: seed % 3 == 0)
        let result: [ChildAllocation]
        do {
            result = try Allocation.allocate(kind: c.kind, parentYears: c.parentYears, minimumPerChild: c.minimum, children: c.children)
        } catch {
            // Refusal only when the inputs are infeasible.
            let total = c.kind == .flow ? c.parentYears.reduce(0, +) : (c.parentYears.last ?? 0)
            let locked = c.children.compactMap(\.lockedTotal).reduce(0, +)
            let free = c.children.filter { $0.lockedTotal == nil }.count
            #expect(locked > total || locked + free * c.minimum > total || (free == 0 && locked != total), "refused a feasible case: \(error)")
            return
        }
        check(c, result)
        // Unlocked children's totals are floor or ceiling of their share, unless a minimum forced them.
        if c.minimum == 0 && c.children.allSatisfy({ $0.lockedTotal == nil }) {
            let total = result.map(\.total).reduce(0, +)
            let weightSum = c.children.map(\.weight).reduce(0, +)
            for (child, r) in zip(c.children, result) {
                let w = weightSum == 0 ? 1 : Int(child.weight)
                let ws = weightSum == 0 ? c.children.count : Int(weightSum)
                #expect(shareBounds(total, w, ws).contains(r.total), "total of \(child.key)")
            }
        }
        // Deterministic, whatever the order of the input.
        var shuffled = Array(zip(c.children, result))
        shuffled.shuffle(using: &rng)
        let again = try Allocation.allocate(kind: c.kind, parentYears: c.parentYears, minimumPerChild: c.minimum, children: shuffled.map(\.0))
        #expect(again == shuffled.map(\.1))
    }

    @Test func laoCai424TeamsOverFiveYearsWithAtLeastOnePerCommune() throws {
        // 9 districts with their real commune counts (units-2021.csv), equal rule, minimum 1 per commune.
        let communes = [("080", 17), ("082", 21), ("083", 16), ("084", 10), ("085", 18), ("086", 14), ("087", 17), ("088", 16), ("089", 22)]
        #expect(communes.map(\.1).reduce(0, +) == 151)
        let provinceYears = try Allocation.splitYears(total: 424, years: 5, kind: .stock)
        #expect(provinceYears.last == 424)
        let districts = communes.enumerated().map { i, d in AllocationChild(unitID: Int64(i + 1), key: d.0, weight: Int64(d.1)) }
        let districtResult = try Allocation.allocate(kind: .stock, parentYears: provinceYears, minimumPerChild: d(1), children: districts)
        check(Case(kind: .stock, parentYears: provinceYears, minimum: 1, children: districts), districtResult)
        var communeCells = 0
        for (i, d) in communes.enumerated() {
            let children = (0..<d.1).map { AllocationChild(unitID: Int64(100 * i + $0), key: "\(d.0)-\($0)") }
            let result = try Allocation.allocate(kind: .stock, parentYears: districtResult[i].years, minimumPerChild: 1, children: children)
            check(Case(kind: .stock, parentYears: districtResult[i].years, minimum: 1, children: children), result)
            #expect(result.allSatisfy { $0.total >= 1 })
            communeCells += result.count * 5
        }
        #expect(communeCells == 755)
    }

    func d(_ v: Int) -> Int { v }

    @Test func infeasibleInputsAreRefusedNamingUnitsAndNumbers() {
        let locked = #expect(throws: AllocationError.self) {
            try Allocation.allocate(kind: .flow, parentYears: [10, 10], children: [
                AllocationChild(unitID: 1, key: "02959", lockedTotal: 15), AllocationChild(unitID: 2, key: "02962", lockedTotal: 9),
                AllocationChild(unitID: 3, key: "02965"),
            ])
        }
        #expect(locked?.units == ["02959", "02962"])
        #expect(locked?.reason.contains("24") == true)
        #expect(locked?.reason.contains("20") == true)
        let minimum = #expect(throws: AllocationError.self) {
            try Allocation.allocate(kind: .flow, parentYears: [2, 3], minimumPerChild: 1, children: (1...6).map { AllocationChild(unitID: Int64($0), key: "c\($0)") })
        }
        #expect(minimum?.reason.contains("needs 6") == true)
        #expect(minimum?.reason.contains("only 5") == true)
        #expect(throws: AllocationError.self) {
            try Allocation.allocate(kind: .stock, parentYears: [5, 3], children: [AllocationChild(unitID: 1, key: "a")])
        }
        #expect(throws: AllocationError.self) {
            try Allocation.allocate(kind: .flow, parentYears: [3, 3], children: [
                AllocationChild(unitID: 1, key: "a", lockedYears: [0: 5]), AllocationChild(unitID: 2, key: "b"),
            ])
        }
    }

    @Test func lockedYearlyCellsAreKept() throws {
        let children = [
            AllocationChild(unitID: 1, key: "a", lockedYears: [0: 3]), AllocationChild(unitID: 2, key: "b"), AllocationChild(unitID: 3, key: "c"),
        ]
        let result = try Allocation.allocate(kind: .flow, parentYears: [6, 6, 6], children: children)
        #expect(result[0].years[0] == 3)
        #expect(result.map { $0.years[0] }.reduce(0, +) == 6)
        #expect(result.map(\.total).reduce(0, +) == 18)
    }

    @Test func splitYearsIsExact() throws {
        #expect(try Allocation.splitYears(total: 424, years: 5, kind: .flow) == [85, 85, 85, 85, 84])
        #expect(try Allocation.splitYears(total: 424, years: 5, kind: .stock) == [85, 170, 255, 340, 424])
        #expect(try Allocation.splitYears(total: 28, years: 5, weights: [1, 2, 2, 2, 1], kind: .flow).reduce(0, +) == 28)
        #expect(try Allocation.splitYears(total: 10, years: 3, kind: .flow, locked: [0: 6]) == [6, 2, 2])
    }
}

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
        let problems = AllocationChecker.problems(
            AllocationCase(kind: c.kind, parentYears: c.parentYears, minimum: c.minimum, children: c.children),
            Allocation.Outcome(children: result, locksBind: false))
        #expect(problems == [], sourceLocation: sourceLocation)
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
        // Stock: the cumulative milestones are rounded (to the nearest), not the increments.
        #expect(try Allocation.splitYears(total: 424, years: 5, kind: .stock) == [85, 170, 254, 339, 424])
        #expect(try Allocation.splitYears(total: 28, years: 5, weights: [1, 2, 2, 2, 1], kind: .flow).reduce(0, +) == 28)
        #expect(try Allocation.splitYears(total: 10, years: 3, kind: .flow, locked: [0: 6]) == [6, 2, 2])
    }

    @Test func aLockedMilestoneOfAStockSplitFixesItAndTheOthersFollowTheProfile() throws {
        // DA8-01 = 300 with 2023 locked at 200: the province's milestones go through 200.
        #expect(try Allocation.splitYears(total: 300, years: 5, kind: .stock, locked: [2: 200]) == [67, 133, 200, 250, 300])
        // Milestones that would fall are refused.
        #expect(throws: AllocationError.self) { try Allocation.splitYears(total: 300, years: 5, kind: .stock, locked: [1: 200, 3: 100]) }
        #expect(throws: AllocationError.self) { try Allocation.splitYears(total: 300, years: 5, kind: .stock, locked: [2: 400]) }
    }

    @Test func smallStockTargetsRoundTheMilestones() throws {
        // 7 over five years: exact milestones 1.4, 2.8, 4.2, 5.6, 7.
        #expect(try Allocation.splitYears(total: 7, years: 5, kind: .stock) == [1, 3, 4, 6, 7])
        let districts = (0..<9).map { AllocationChild(unitID: Int64($0), key: "10\($0)") }
        let c = AllocationCase(kind: .stock, parentYears: [1, 3, 4, 6, 7], minimum: 0, children: districts)
        #expect(AllocationChecker.problems(c, try Allocation.allocation(kind: .stock, parentYears: c.parentYears, children: districts)) == [])
    }

    @Test func aLockedMilestoneOfADistrictIsMetAndItsMilestonesNeverFall() throws {
        // DA8-02 = 100 in Lai Châu: 8 districts, 105 locked at 3 in 2022.
        var districts = ["105", "106", "107", "108", "109", "110", "111", "112"].enumerated().map { AllocationChild(unitID: Int64($0), key: $1) }
        districts[0].lockedYears = [1: 3]
        let c = AllocationCase(kind: .stock, parentYears: [20, 40, 60, 80, 100], minimum: 0, children: districts)
        let outcome = try Allocation.allocation(kind: .stock, parentYears: c.parentYears, children: districts)
        #expect(AllocationChecker.problems(c, outcome) == [])
        #expect(!outcome.locksBind)
        #expect(outcome.children[0].years[1] == 3)
        #expect(outcome.children.map { $0.years[1] }.reduce(0, +) == 40)
        // A milestone locked above what the parent has is refused, naming the unit and the numbers.
        districts[1].lockedYears = [4: 400]
        let error = #expect(throws: AllocationError.self) { try Allocation.allocate(kind: .stock, parentYears: c.parentYears, children: districts) }
        #expect(error?.units == ["106"])
        #expect(error?.reason.contains("400") == true)
    }

    @Test func aYearlyLockOnAFlowSplitsTheRestFromTheSharesOfWhatIsLeft() throws {
        // DA8-06 = 100000 in Sơn La, 20000 a year, 12 districts; 116 locked at 7 in 2023.
        let codes = ["116", "118", "119", "120", "121", "122", "123", "124", "125", "126", "127", "128"]
        var districts = codes.enumerated().map { AllocationChild(unitID: Int64($0), key: $1) }
        districts[0].lockedYears = [2: 7]
        let c = AllocationCase(kind: .flow, parentYears: Array(repeating: 20_000, count: 5), minimum: 0, children: districts)
        let outcome = try Allocation.allocation(kind: .flow, parentYears: c.parentYears, children: districts)
        #expect(AllocationChecker.problems(c, outcome) == [])
        #expect(!outcome.locksBind)
        // 116's other years share the rest of its 8334; the others share what is left of each year.
        #expect(outcome.children[0].total == 8334)
        #expect(outcome.children[0].years.enumerated().allSatisfy { $0.offset == 2 ? $0.element == 7 : (2081...2082).contains($0.element) }, "\(outcome.children[0].years)")
        for child in outcome.children.dropFirst() { #expect(child.years.allSatisfy { (1_600...1_900).contains($0) }, "\(child.years)") }
        // A second lock, below in a district, is met from its parent's years.
        var communes = (0..<10).map { AllocationChild(unitID: Int64(100 + $0), key: "0368\($0)") }
        communes[2].lockedYears = [1: 3]
        let below = try Allocation.allocation(kind: .flow, parentYears: outcome.children[3].years, children: communes)
        #expect(AllocationChecker.problems(AllocationCase(kind: .flow, parentYears: outcome.children[3].years, minimum: 0, children: communes), below) == [])
    }

    @Test func hugeWeightsAreRefusedAndTheLargestAcceptedOnesDoNotOverflow() throws {
        let huge = (0..<3).map { AllocationChild(unitID: Int64($0), key: "10\($0)", weight: 4_000_000_000_000_000_000) }
        let error = #expect(throws: AllocationError.self) { try Allocation.allocate(kind: .flow, parentYears: [10, 10], children: huge) }
        #expect(error?.units == ["100"])
        // The largest weights and values: shares are exact, nothing overflows.
        let largest = (0..<3).map { AllocationChild(unitID: Int64($0), key: "10\($0)", weight: Allocation.maximumWeight - Int64($0)) }
        let years = Array(repeating: Allocation.maximumValue / 5, count: 5)
        for kind in IndicatorKind.allCases {
            let parent = kind == .flow ? years : AllocationChecker.cumulative(years)
            let result = try Allocation.allocate(kind: kind, parentYears: parent, minimumPerChild: 1_000, children: largest)
            #expect(result.map(\.total).reduce(0, +) == Allocation.maximumValue)
        }
        #expect(throws: AllocationError.self) { try Allocation.allocate(kind: .flow, parentYears: [Allocation.maximumValue + 1], children: largest) }
    }

    @Test func splitPartsOfACommuneAreExactEveryYear() throws {
        // Three parts weighing 1, 1, 1 of a commune whose phase target is 100: 99 then 1.
        let parts = (0..<3).map { SuccessionLink(from: 1, to: Int64(10 + $0), toKey: "0300\($0)") }
        for (years, phase) in [([99, 1], 100), ([49, 2, 0, 49], 100), ([7, 0, 3, 1, 9], 20)] {
            let split = try Succession.split(kind: .flow, YearlySeries(years: years, phase: phase), among: parts)
            for y in years.indices {
                #expect(split.map { $0.years[y]! }.reduce(0, +) == years[y])
                for part in split { #expect(Ratio(years[y], 3).admits(part.years[y]!), "\(years) year \(y): \(split)") }
            }
            for part in split {
                #expect(Ratio(phase, 3).admits(part.phase!))
                #expect(part.years.map { $0! }.reduce(0, +) == part.phase)
            }
        }
    }
}

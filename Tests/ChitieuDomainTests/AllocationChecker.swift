import ChitieuDomain

/// A rational number for the checker: small numbers only, exact.
struct Ratio: Equatable, CustomStringConvertible {
    var n: Int
    var d: Int

    init(_ n: Int, _ d: Int = 1) {
        precondition(d != 0)
        var (n, d) = d < 0 ? (-n, -d) : (n, d)
        var (a, b) = (abs(n), d)
        while b != 0 { (a, b) = (b, a % b) }
        if a > 1 {
            n /= a
            d /= a
        }
        self.n = n
        self.d = d
    }

    var floor: Int { n >= 0 ? n / d : -((-n + d - 1) / d) }
    var ceil: Int { -Ratio(-n, d).floor }
    func admits(_ value: Int) -> Bool { floor <= value && value <= ceil }
    static func + (a: Ratio, b: Ratio) -> Ratio { Ratio(a.n * b.d + b.n * a.d, a.d * b.d) }
    static func - (a: Ratio, b: Ratio) -> Ratio { Ratio(a.n * b.d - b.n * a.d, a.d * b.d) }
    static func * (a: Ratio, b: Ratio) -> Ratio { Ratio(a.n * b.n, a.d * b.d) }
    static func / (a: Ratio, b: Ratio) -> Ratio { Ratio(a.n * b.d, a.d * b.n) }
    static func < (a: Ratio, b: Ratio) -> Bool { a.n * b.d < b.n * a.d }
    var description: String { d == 1 ? "\(n)" : "\(n)/\(d)" }
}

/// An allocation problem, as the tests generate them: a parent's yearly values (flow) or
/// milestones (stock), a minimum, children with weights and locks.
struct AllocationCase: CustomStringConvertible {
    var kind: IndicatorKind
    var parentYears: [Int]
    var minimum: Int
    var children: [AllocationChild]

    var m: Int { parentYears.count }
    var increments: [Int] { kind == .flow ? parentYears : parentYears.indices.map { $0 == 0 ? parentYears[0] : parentYears[$0] - parentYears[$0 - 1] } }
    var total: Int { increments.reduce(0, +) }
    /// What a share is taken of in year y: the parent's value (flow) or milestone (stock).
    var parts: [Int] { parentYears }
    var description: String {
        "\(kind) \(parentYears) min \(minimum) " + children.map { "\($0.key)(w\($0.weight)\($0.lockedTotal.map { " L\($0)" } ?? "")\($0.lockedYears.isEmpty ? "" : " \($0.lockedYears.sorted { $0.key < $1.key })"))" }.joined(separator: " ")
    }
}

/// Checks allocations against the definition of "exact" in docs/allocation-and-completion.md, computed here on its own
/// (exact rationals, brute force for small tables), never with the allocation's code.
enum AllocationChecker {
    /// Each child's exact share of the phase value, in the order of `c.children`; nil when the
    /// locks and floors cannot fit (the allocation must then be refused).
    static func shares(_ c: AllocationCase) -> [Ratio]? {
        let m = c.m
        var locked: [Int?] = []
        var held: [Int] = []
        for child in c.children {
            let locks = child.lockedYears
            var implied: Int?
            if c.kind == .flow {
                held.append(locks.values.reduce(0, +))
                if locks.count == m { implied = locks.values.reduce(0, +) }
            } else {
                held.append(locks.values.max() ?? 0)
                implied = locks[m - 1]
            }
            if let a = child.lockedTotal, let b = implied, a != b { return nil }
            locked.append(child.lockedTotal ?? implied)
        }
        var shares = locked.map { Ratio($0 ?? 0) }
        var remaining = c.total - locked.compactMap { $0 }.reduce(0, +)
        if remaining < 0 { return nil }
        for i in c.children.indices where locked[i] != nil && locked[i]! < held[i] { return nil }
        var free = c.children.indices.filter { locked[$0] == nil }
        if free.isEmpty { return remaining == 0 ? shares : nil }
        let floor = { (i: Int) in max(c.minimum, held[i]) }
        if free.map(floor).reduce(0, +) > remaining { return nil }
        while !free.isEmpty {
            let weights = free.map { Int(c.children[$0].weight) }.reduce(0, +)
            let w = { (i: Int) in weights == 0 ? 1 : Int(c.children[i].weight) }
            let sum = weights == 0 ? free.count : weights
            let below = free.filter { Ratio(remaining * w($0), sum) < Ratio(floor($0)) }
            if below.isEmpty {
                for i in free { shares[i] = Ratio(remaining * w(i), sum) }
                break
            }
            for i in below {
                shares[i] = Ratio(floor(i))
                remaining -= floor(i)
            }
            free.removeAll { below.contains($0) }
        }
        return shares
    }

    /// Largest remainder on the shares (ties to the smaller key), locked ones as they are.
    static func largestRemainder(_ c: AllocationCase, _ shares: [Ratio]) -> [Int] {
        var totals = shares.map(\.floor)
        let short = c.total - totals.reduce(0, +)
        let remainder = { (i: Int) in shares[i] - Ratio(shares[i].floor) }
        let order = c.children.indices.sorted {
            remainder($1) < remainder($0) || (remainder($0) == remainder($1) && c.children[$0].key < c.children[$1].key)
        }
        for k in 0..<max(0, min(short, order.count)) { totals[order[k]] += 1 }
        return totals
    }

    /// Bounds of the cells (flow) or milestones (stock) the proportional definition gives a table
    /// with phase values `totals`, for rows with locked years from their own rows, for the other
    /// rows from what `table` leaves of each year; nil when it gives none (no table meets it).
    static func proportionalShares(_ c: AllocationCase, totals: [Int], table: [[Int]]) -> [[Ratio?]]? {
        let m = c.m, p = c.increments
        let bound = c.children.indices.filter { !c.children[$0].lockedYears.isEmpty }
        let free = c.children.indices.filter { c.children[$0].lockedYears.isEmpty }
        var result = [[Ratio?]](repeating: Array(repeating: nil, count: m), count: c.children.count)
        for b in bound {
            let locks = c.children[b].lockedYears
            if c.kind == .flow {
                let rest = totals[b] - locks.values.reduce(0, +)
                let weight = (0..<m).filter { locks[$0] == nil }.map { p[$0] }.reduce(0, +)
                if weight == 0 && rest > 0 { return nil }
                for y in 0..<m where locks[y] == nil { result[b][y] = weight == 0 ? Ratio(0) : Ratio(rest * p[y], weight) }
            } else {
                var anchors = [(-1, 0)] + locks.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                if locks[m - 1] == nil { anchors.append((m - 1, totals[b])) }
                for (a, z) in zip(anchors, anchors.dropFirst()) {
                    let from = a.0 < 0 ? 0 : c.parentYears[a.0]
                    for y in (a.0 + 1)..<z.0 {
                        let span = c.parentYears[z.0] - from
                        if span == 0 {
                            if a.1 != z.1 { return nil }
                            result[b][y] = Ratio(a.1)
                        } else {
                            result[b][y] = Ratio(a.1) + Ratio((z.1 - a.1) * (c.parentYears[y] - from), span)
                        }
                    }
                    if locks[z.0] == nil { result[b][z.0] = Ratio(z.1) }
                }
            }
        }
        var left = p
        for b in bound { for y in 0..<m { left[y] -= table[b][y] } }
        if left.contains(where: { $0 < 0 }) { return nil }
        let leftParts = c.kind == .flow ? left : cumulative(left)
        let q = free.map { totals[$0] }.reduce(0, +)
        for f in free { for y in 0..<m { result[f][y] = q == 0 ? Ratio(0) : Ratio(totals[f] * leftParts[y], q) } }
        return result
    }

    /// Whether `table` (increments) meets the proportional definition for phase values `totals`.
    static func meetsProportional(_ c: AllocationCase, totals: [Int], table: [[Int]]) -> Bool {
        guard let bounds = proportionalShares(c, totals: totals, table: table) else { return false }
        for (i, row) in table.enumerated() {
            let values = c.kind == .flow ? row : cumulative(row)
            for y in 0..<c.m { if let b = bounds[i][y], !b.admits(values[y]) { return false } }
        }
        return true
    }

    static func cumulative(_ xs: [Int]) -> [Int] {
        var running = 0
        return xs.map { running += $0; return running }
    }

    /// Every table (increments) that holds the margins and locks, rows within `allowed` phase
    /// values, stock milestones never falling — by brute force; for small cases only.
    static func tables(_ c: AllocationCase, allowed: [ClosedRange<Int>], limit: Int = 1_000_000) -> [[[Int]]] {
        let m = c.m, p = c.increments
        func rows(_ i: Int) -> [[Int]] {
            var out: [[Int]] = []
            var current: [Int] = []
            func go(_ y: Int, _ sum: Int) {
                if y == m {
                    if allowed[i].contains(sum) { out.append(current) }
                    return
                }
                for v in 0...max(0, p[y]) {
                    let milestone = sum + v
                    if let fixed = c.children[i].lockedYears[y], (c.kind == .flow ? v : milestone) != fixed { continue }
                    current.append(v)
                    go(y + 1, milestone)
                    current.removeLast()
                }
            }
            go(0, 0)
            return out
        }
        let candidates = c.children.indices.map(rows)
        var found: [[[Int]]] = []
        var chosen: [[Int]] = []
        func search(_ i: Int, _ left: [Int]) {
            if found.count >= limit { return }
            if i == c.children.count {
                if left.allSatisfy({ $0 == 0 }) { found.append(chosen) }
                return
            }
            for row in candidates[i] where zip(row, left).allSatisfy({ $0 <= $1 }) {
                chosen.append(row)
                search(i + 1, zip(left, row).map { $0 - $1 })
                chosen.removeLast()
            }
        }
        search(0, p)
        return found
    }

    /// Problems with the outcome, in words; empty when it is exact.
    static func problems(_ c: AllocationCase, _ outcome: Allocation.Outcome) -> [String] {
        var problems: [String] = []
        let result = outcome.children
        let m = c.m
        guard result.count == c.children.count, result.allSatisfy({ $0.years.count == m }) else { return ["shape"] }
        if result.map(\.total).reduce(0, +) != c.total { problems.append("phase margin") }
        for y in 0..<m where result.map({ $0.years[y] }).reduce(0, +) != c.parentYears[y] { problems.append("year \(y) margin") }
        var table: [[Int]] = []
        for (child, r) in zip(c.children, result) {
            if c.kind == .flow {
                if r.years.reduce(0, +) != r.total { problems.append("\(child.key): years do not sum to the phase value") }
                if r.years.contains(where: { $0 < 0 }) { problems.append("\(child.key): negative") }
                table.append(r.years)
            } else {
                if r.years.last != r.total { problems.append("\(child.key): milestones do not end at the phase value") }
                if zip([0] + r.years, r.years).contains(where: { $0 > $1 }) { problems.append("\(child.key): a milestone falls") }
                table.append(zip([0] + r.years, r.years).map { $1 - $0 })
            }
            if let locked = child.lockedTotal, r.total != locked { problems.append("\(child.key): locked phase value not kept") }
            for (y, v) in child.lockedYears where r.years[y] != v { problems.append("\(child.key): locked year \(y) not kept") }
        }
        guard let shares = shares(c) else { return problems + ["allocated although the locks and floors cannot fit"] }
        let totals = result.map(\.total)
        for (i, r) in result.enumerated() where !shares[i].admits(r.total) {
            problems.append("\(c.children[i].key): phase value \(r.total) is not floor or ceiling of \(shares[i])")
        }
        let locks = c.children.contains { !$0.lockedYears.isEmpty }
        if c.total > 0 && !locks {
            for (i, r) in result.enumerated() {
                for y in 0..<m where !(shares[i] * Ratio(c.parts[y], c.total)).admits(r.years[y]) {
                    problems.append("\(c.children[i].key) year \(y): \(r.years[y]) is not floor or ceiling of \(shares[i] * Ratio(c.parts[y], c.total))")
                }
            }
            if outcome.locksBind { problems.append("locks said to bind where there are none") }
        }
        if locks && !outcome.locksBind {
            if totals != largestRemainder(c, shares) { problems.append("phase values \(totals) are not the largest remainders \(largestRemainder(c, shares))") }
            if !meetsProportional(c, totals: totals, table: table) { problems.append("cells are not floor or ceiling of the shares of what is left") }
        }
        return problems
    }
}

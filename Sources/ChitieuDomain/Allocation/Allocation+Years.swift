/// The units × years table: a controlled rounding, computed as an integral flow on a network.
extension Allocation {
    /// Lower and upper bound of one value.
    typealias Bounds = (lower: Int, upper: Int)

    /// The children's yearly increments (rows in the order of `children`) for phase values
    /// `totals` (floor or ceiling of `shares`), and whether locks bound them.
    static func yearly(
        kind: IndicatorKind, parentYears: [Int], increments: [Int], totals: [Int], shares: [Share], children: [AllocationChild]
    ) throws(AllocationError) -> (cells: [[Int]], locksBind: Bool) {
        let n = children.count, m = increments.count
        let total = increments.reduce(0, +)
        if total == 0 { return (Array(repeating: Array(repeating: 0, count: m), count: n), false) }
        // What a share is taken of each year: the parent's value that year (flow) or its milestone (stock).
        let parts = kind == .flow ? increments : cumulative(increments)
        let exactColumns = increments.map { ($0, $0) }
        let bound = children.indices.filter { !children[$0].lockedYears.isEmpty }
        if bound.isEmpty {
            var cellBounds: [[Bounds]] = []
            for c in 0..<n {
                var row: [Bounds] = []
                for y in 0..<m { row.append(try shares[c].scaled(by: parts[y], over: total).bounds) }
                cellBounds.append(row)
            }
            // The phase values apportion chose, else any floor or ceiling of the shares (the fractional
            // table meets those bounds, so an integral one exists).
            if let cells = round(kind: kind, rows: totals.map { ($0, $0) }, cells: cellBounds, columns: exactColumns) {
                return (cells, false)
            }
            var ranges: [Bounds] = []
            for share in shares { ranges.append(try share.bounds) }
            if let cells = round(kind: kind, rows: ranges, cells: cellBounds, columns: exactColumns) { return (cells, false) }
        } else if let cells = try proportional(kind: kind, increments: increments, parts: parts, totals: totals, children: children, bound: bound) {
            return (cells, false)
        }
        return (try binding(kind: kind, parentYears: parentYears, increments: increments, parts: parts, totals: totals, shares: shares, children: children), true)
    }

    /// With locked years: units that have them first, from the shares of what is left of their
    /// phase value; then the others, from their shares of what is left of each year. Nil when
    /// that cannot be met.
    static func proportional(
        kind: IndicatorKind, increments: [Int], parts: [Int], totals: [Int], children: [AllocationChild], bound: [Int]
    ) throws(AllocationError) -> [[Int]]? {
        let m = increments.count
        let free = children.indices.filter { children[$0].lockedYears.isEmpty }
        var boundCells: [[Bounds]] = []
        for b in bound {
            let child = children[b], total = totals[b]
            var row: [Bounds] = []
            switch kind {
            case .flow:
                let rest = total - child.lockedYears.values.reduce(0, +)
                let weight = (0..<m).filter { child.lockedYears[$0] == nil }.reduce(0) { $0 + increments[$1] }
                if weight == 0 && rest > 0 { return nil }
                for y in 0..<m {
                    if let fixed = child.lockedYears[y] {
                        row.append((fixed, fixed))
                    } else {
                        row.append(weight == 0 ? (0, 0) : try Share.of(rest, increments[y], over: weight).bounds)
                    }
                }
            case .stock:
                let anchors = try milestoneAnchors(child.lockedYears, total: total, years: m, key: child.key)
                for share in try milestones(anchors: anchors, cumulative: parts, stayFlat: false) {
                    guard let share else { return nil }
                    row.append(try share.bounds)
                }
            }
            boundCells.append(row)
        }
        let freeTotal = free.reduce(0) { $0 + totals[$1] }
        // The units with locks leave each year something between nothing and all of it for the others.
        let columns = increments.map { freeTotal == 0 ? ($0, $0) : (0, $0) }
        guard let first = round(kind: kind, rows: bound.map { (totals[$0], totals[$0]) }, cells: boundCells, columns: columns) else { return nil }
        var left = increments
        for row in first { for y in 0..<m { left[y] -= row[y] } }
        let leftParts = kind == .flow ? left : cumulative(left)
        var freeCells: [[Bounds]] = []
        for c in free {
            var row: [Bounds] = []
            for y in 0..<m { row.append(freeTotal == 0 ? (0, 0) : try Share.of(totals[c], leftParts[y], over: freeTotal).bounds) }
            freeCells.append(row)
        }
        guard let second = round(kind: kind, rows: free.map { (totals[$0], totals[$0]) }, cells: freeCells, columns: left.map { ($0, $0) }) else {
            return nil
        }
        var cells = [[Int]](repeating: [], count: children.count)
        for (k, b) in bound.enumerated() { cells[b] = first[k] }
        for (k, c) in free.enumerated() { cells[c] = second[k] }
        return cells
    }

    /// When locks bind: locks and margins hold, and every other cell (flow) or milestone (stock)
    /// stays within floor − k … ceiling + k of its share as without locks, for the smallest k of
    /// 1, 2, 4, … that admits them; at last phase values may be either floor or ceiling of their
    /// share. Refused, naming the units and numbers, when nothing admits them.
    static func binding(
        kind: IndicatorKind, parentYears: [Int], increments: [Int], parts: [Int], totals: [Int], shares: [Share], children: [AllocationChild]
    ) throws(AllocationError) -> [[Int]] {
        let n = children.count, m = increments.count
        let total = increments.reduce(0, +)
        var base: [[Bounds?]] = []
        for c in 0..<n {
            var row: [Bounds?] = []
            for y in 0..<m {
                row.append(children[c].lockedYears[y] != nil ? nil : try shares[c].scaled(by: parts[y], over: total).bounds)
            }
            base.append(row)
        }
        func widened(_ k: Int) -> [[Bounds]] {
            (0..<n).map { c in
                (0..<m).map { y in
                    if let fixed = children[c].lockedYears[y] { return (fixed, fixed) }
                    let b = base[c][y]!
                    return (max(0, b.lower - k), b.upper + k)
                }
            }
        }
        let columns = increments.map { ($0, $0) }
        let largest = totals.max() ?? 0
        var k = 1
        while true {
            if let cells = round(kind: kind, rows: totals.map { ($0, $0) }, cells: widened(k), columns: columns) { return cells }
            if k > largest { break }
            k *= 2
        }
        var ranges: [Bounds] = []
        for share in shares { ranges.append(try share.bounds) }
        if let cells = round(kind: kind, rows: ranges, cells: widened(largest + 1), columns: columns) { return cells }
        let locked = children.filter { !$0.lockedYears.isEmpty }.map { child in
            "\(child.key) (" + child.lockedYears.sorted { $0.key < $1.key }.map { "year \($0.key + 1): \($0.value)" }.joined(separator: ", ") + ")"
        }
        let values = zip(children, totals).map { "\($0.key) \($1)" }
        throw AllocationError(
            reason: "the locked \(kind == .stock ? "milestones" : "yearly values") of \(locked.joined(separator: ", ")) cannot be met within the parent's yearly values \(parentYears) and the units' phase values (\(values.joined(separator: ", ")))",
            units: children.filter { !$0.lockedYears.isEmpty }.map(\.key))
    }

    /// A stock unit's fixed milestones, by year index: 0 before the phase (index −1), its locked
    /// milestones, its phase value at the end.
    static func milestoneAnchors(_ locked: [Int: Int], total: Int, years: Int, key: String?) throws(AllocationError) -> [(year: Int, value: Int)] {
        var anchors: [(year: Int, value: Int)] = [(-1, 0)] + locked.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if locked[years - 1] == nil { anchors.append((years - 1, total)) }
        for (a, b) in zip(anchors, anchors.dropFirst()) where a.value > b.value {
            let whose = key.map { " of \($0)" } ?? ""
            throw AllocationError(
                reason: "the locked milestones\(whose) fall: \(a.value) in year \(a.year + 1), \(b.value) \(b.year == years - 1 && locked[b.year] == nil ? "for the phase" : "in year \(b.year + 1)")",
                units: key.map { [$0] } ?? [])
        }
        return anchors
    }

    /// Exact milestones between anchors that follow `cumulative` (the parent's milestones, or a
    /// profile's cumulative weights): between (a, A) and (b, B), year y gets
    /// A + (B − A) × (cumulative[y] − cumulative[a]) / (cumulative[b] − cumulative[a]). Where
    /// `cumulative` does not grow between two anchors that differ, the milestones stay at A until
    /// b when `stayFlat`, else are nil (no share to follow).
    static func milestones(anchors: [(year: Int, value: Int)], cumulative: [Int], stayFlat: Bool) throws(AllocationError) -> [Share?] {
        var result = [Share?](repeating: nil, count: cumulative.count)
        for (a, b) in zip(anchors, anchors.dropFirst()) {
            let from = a.year < 0 ? 0 : cumulative[a.year]
            let span = cumulative[b.year] - from
            for y in (a.year + 1)..<b.year {
                if span > 0 {
                    result[y] = try Share(a.value).adding(try Share.of(b.value - a.value, cumulative[y] - from, over: span))
                } else if a.value == b.value || stayFlat {
                    result[y] = Share(a.value)
                }
            }
            result[b.year] = Share(b.value)
        }
        return result
    }

    static func cumulative(_ increments: [Int]) -> [Int] {
        var running = 0
        return increments.map { running += $0; return running }
    }

    /// An integral table of yearly increments: each row's phase value within `rows`, each column's
    /// sum within `columns`, and each cell (flow) or each prefix sum — the milestone — (stock)
    /// within `cells`; stock increments are never negative. Nil when none exists. Edges are added
    /// in row and year order, so the same bounds always give the same table.
    static func round(kind: IndicatorKind, rows: [Bounds], cells: [[Bounds]], columns: [Bounds]) -> [[Int]]? {
        let n = rows.count, m = columns.count
        if n == 0 { return columns.allSatisfy { $0.lower <= 0 } ? [] : nil }
        // Nodes: 0 the hub, 1...m the years, then a chain per row from its last year to its first:
        // the flow entering the chain at year y is the row's milestone at y.
        let hub = 0
        func year(_ y: Int) -> Int { 1 + y }
        func chain(_ c: Int, _ y: Int) -> Int { 1 + m + c * m + y }
        var network = BoundedFlow(nodes: 1 + m + n * m)
        var handles: [[(handle: (from: Int, index: Int), lower: Int)]] = []
        func edge(_ from: Int, _ to: Int, _ bounds: Bounds) -> (from: Int, index: Int)? {
            guard bounds.lower >= 0, bounds.lower <= bounds.upper else { return nil }
            return network.addEdge(from: from, to: to, lower: bounds.lower, upper: bounds.upper)
        }
        for c in 0..<n {
            var total = rows[c]
            if kind == .stock { total = (max(total.lower, cells[c][m - 1].lower), min(total.upper, cells[c][m - 1].upper)) }
            guard edge(hub, chain(c, m - 1), total) != nil else { return nil }
            var row: [(handle: (from: Int, index: Int), lower: Int)] = []
            for y in 0..<m {
                let cell: Bounds = kind == .flow ? cells[c][y] : (0, total.upper)
                guard let handle = edge(chain(c, y), year(y), cell) else { return nil }
                row.append((handle, cell.lower))
                if y > 0 {
                    let milestone: Bounds = kind == .stock ? cells[c][y - 1] : (0, total.upper)
                    guard edge(chain(c, y), chain(c, y - 1), milestone) != nil else { return nil }
                }
            }
            handles.append(row)
        }
        for y in 0..<m {
            guard edge(year(y), hub, columns[y]) != nil else { return nil }
        }
        guard network.solve() else { return nil }
        return handles.map { row in row.map { network.flow($0.handle, lower: $0.lower) } }
    }
}

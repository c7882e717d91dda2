/// Integral feasible flow on a small network with lower and upper bounds on its edges
/// (Dinic's algorithm after the classic reduction of lower bounds to node demands).
///
/// The allocation's constraints — row totals, column totals, and floor/ceiling bounds on
/// cells or on cumulative prefixes of rows — form a network, so whenever fractional shares
/// satisfy them an integral flow does too, and this finds one. Edges are explored in the order
/// they were added, so the same network always gives the same flow.
struct BoundedFlow {
    struct Edge {
        var to: Int
        var capacity: Int
        var reverse: Int
    }

    private(set) var nodes: Int
    private var graph: [[Edge]]
    private var excess: [Int]
    private var lowerBounds: [(from: Int, index: Int, lower: Int)] = []

    init(nodes: Int) {
        self.nodes = nodes
        graph = Array(repeating: [], count: nodes + 2)
        excess = Array(repeating: 0, count: nodes + 2)
    }

    /// Adds an edge carrying between `lower` and `upper` units; returns its handle.
    @discardableResult
    mutating func addEdge(from: Int, to: Int, lower: Int, upper: Int) -> (from: Int, index: Int) {
        precondition(lower >= 0 && upper >= lower, "bounds must satisfy 0 ≤ lower ≤ upper")
        let index = graph[from].count
        graph[from].append(Edge(to: to, capacity: upper - lower, reverse: graph[to].count))
        graph[to].append(Edge(to: from, capacity: 0, reverse: index))
        if lower > 0 {
            excess[to] += lower
            excess[from] -= lower
            lowerBounds.append((from, index, lower))
        }
        return (from, index)
    }

    /// The flow on an edge after `solve` succeeded.
    func flow(_ handle: (from: Int, index: Int), lower: Int) -> Int {
        let edge = graph[handle.from][handle.index]
        return lower + graph[edge.to][edge.reverse].capacity
    }

    /// Finds a circulation meeting every bound; false when none exists.
    mutating func solve() -> Bool {
        let source = nodes, sink = nodes + 1
        var required = 0
        for v in 0..<nodes {
            if excess[v] > 0 {
                addRaw(from: source, to: v, capacity: excess[v])
                required += excess[v]
            } else if excess[v] < 0 {
                addRaw(from: v, to: sink, capacity: -excess[v])
            }
        }
        return maxFlow(source: source, sink: sink) == required
    }

    private mutating func addRaw(from: Int, to: Int, capacity: Int) {
        let index = graph[from].count
        graph[from].append(Edge(to: to, capacity: capacity, reverse: graph[to].count))
        graph[to].append(Edge(to: from, capacity: 0, reverse: index))
    }

    private mutating func maxFlow(source: Int, sink: Int) -> Int {
        var total = 0
        var level = [Int](repeating: -1, count: graph.count)
        var next = [Int](repeating: 0, count: graph.count)
        while true {
            for i in level.indices { level[i] = -1 }
            level[source] = 0
            var queue = [source]
            var head = 0
            while head < queue.count {
                let v = queue[head]
                head += 1
                for edge in graph[v] where edge.capacity > 0 && level[edge.to] < 0 {
                    level[edge.to] = level[v] + 1
                    queue.append(edge.to)
                }
            }
            if level[sink] < 0 { return total }
            for i in next.indices { next[i] = 0 }
            while true {
                let pushed = push(source, sink, Int.max, &level, &next)
                if pushed == 0 { break }
                total += pushed
            }
        }
    }

    private mutating func push(_ v: Int, _ sink: Int, _ limit: Int, _ level: inout [Int], _ next: inout [Int]) -> Int {
        if v == sink { return limit }
        while next[v] < graph[v].count {
            let i = next[v]
            let edge = graph[v][i]
            if edge.capacity > 0 && level[edge.to] == level[v] + 1 {
                let pushed = push(edge.to, sink, min(limit, edge.capacity), &level, &next)
                if pushed > 0 {
                    graph[v][i].capacity -= pushed
                    graph[edge.to][edge.reverse].capacity += pushed
                    return pushed
                }
            }
            next[v] += 1
        }
        return 0
    }
}

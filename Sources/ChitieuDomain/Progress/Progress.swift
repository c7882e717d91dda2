/// Where a unit stands against its target.
public enum ProgressStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Achieved at least the target.
    case completed
    /// Behind the target, but at or above the share of the period already elapsed.
    case onTrack = "on_track"
    /// Below the share of the period already elapsed.
    case behind
    /// No target (none set, or zero).
    case noTarget = "no_target"
    /// The indicator is suspended: figures are kept, out of completion totals.
    case suspended
}

/// One reported figure, as completion counts it.
public struct Observation: Sendable, Hashable {
    /// The unit that reported.
    public var unitID: Int64
    /// The last day of the period, as an ordinal (e.g. yyyymmdd): only order matters.
    public var periodEnd: Int
    /// A tie-breaker among results with the same period end (later decisions win).
    public var sequence: Int
    public var value: Int

    public init(unitID: Int64, periodEnd: Int, sequence: Int = 0, value: Int) {
        self.unitID = unitID
        self.periodEnd = periodEnd
        self.sequence = sequence
        self.value = value
    }
}

/// Completion arithmetic, without a database: what the progress job computes in SQL, stated
/// plainly (and tested against it).
public enum Progress {
    /// Achieved per reporting unit over a period, from the observations in it: a flow
    /// indicator sums them; a stock indicator takes each unit's latest level.
    public static func levels(_ observations: [Observation], kind: IndicatorKind) -> [Int64: Int] {
        switch kind {
        case .flow:
            return observations.reduce(into: [:]) { $0[$1.unitID, default: 0] += $1.value }
        case .stock:
            var latest: [Int64: Observation] = [:]
            for o in observations {
                if let current = latest[o.unitID], (current.periodEnd, current.sequence) >= (o.periodEnd, o.sequence) { continue }
                latest[o.unitID] = o
            }
            return latest.mapValues(\.value)
        }
    }

    /// Achieved per unit: the sum over each unit's subtree (itself included) of the reporting
    /// units' levels. `parents` maps every unit to its parent (nil at the root).
    public static func rollUp(_ levels: [Int64: Int], parents: [Int64: Int64?]) -> [Int64: Int] {
        var achieved: [Int64: Int] = [:]
        for unit in parents.keys { achieved[unit] = 0 }
        for (unit, value) in levels {
            var current: Int64? = unit
            var guardSteps = 0
            while let u = current, guardSteps < 64 {
                achieved[u, default: 0] += value
                current = parents[u] ?? nil
                guardSteps += 1
            }
        }
        return achieved
    }

    /// achieved / target, or nil when there is no target.
    public static func rate(achieved: Int, target: Int?) -> Double? {
        guard let target, target > 0 else { return nil }
        return Double(achieved) / Double(target)
    }

    /// The status of a figure, given the share of its period that has elapsed (0…1).
    public static func status(achieved: Int, target: Int?, elapsedShare: Double, suspended: Bool) -> ProgressStatus {
        if suspended { return .suspended }
        guard let target, target > 0 else { return .noTarget }
        if achieved >= target { return .completed }
        let share = min(max(elapsedShare, 0), 1)
        return Double(achieved) >= share * Double(target) ? .onTrack : .behind
    }

    /// The share of the years `first...last` elapsed on day `dayOfYear` of `year` (1-based,
    /// out of `daysInYear`): 0 before the period, 1 after it.
    public static func elapsedShare(first: Int, last: Int, year: Int, dayOfYear: Int, daysInYear: Int) -> Double {
        if year < first { return 0 }
        if year > last { return 1 }
        let years = Double(last - first + 1)
        return (Double(year - first) + Double(dayOfYear) / Double(daysInYear)) / years
    }
}

/// How far a unit has reported an indicator in a period: the most advanced state of its results.
public enum ReportingState: String, Sendable, CaseIterable, Comparable {
    case none, draft, returned, submitted, approved

    /// Chưa báo cáo, Nháp, Bị trả lại, Đã gửi, Đã duyệt (as `reporting.completeness.state_label`).
    public var label: String {
        switch self {
        case .none: "Chưa báo cáo"
        case .draft: "Nháp"
        case .returned: "Bị trả lại"
        case .submitted: "Đã gửi"
        case .approved: "Đã duyệt"
        }
    }

    /// Submitted or approved: the unit has reported.
    public var isReported: Bool { self == .submitted || self == .approved }

    public static func < (a: ReportingState, b: ReportingState) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Counts of indicators by reporting state, for a unit, a subtree or a level.
public struct CompletenessCounts: Sendable, Hashable {
    public var indicators = 0
    public var approved = 0
    public var submitted = 0
    public var returned = 0
    public var draft = 0
    public var nothing = 0

    public init() {}

    public init(indicators: Int, approved: Int, submitted: Int, returned: Int, draft: Int, nothing: Int) {
        (self.indicators, self.approved, self.submitted, self.returned, self.draft, self.nothing) =
            (indicators, approved, submitted, returned, draft, nothing)
    }

    /// Submitted or approved.
    public var reported: Int { approved + submitted }

    /// Reported, in percent of indicators, to one decimal (nil without indicators), as the views round it.
    public var reportedPercent: Double? {
        guard indicators > 0 else { return nil }
        return (Double(reported * 1000) / Double(indicators)).rounded(.toNearestOrAwayFromZero) / 10
    }

    public static func + (a: CompletenessCounts, b: CompletenessCounts) -> CompletenessCounts {
        CompletenessCounts(
            indicators: a.indicators + b.indicators, approved: a.approved + b.approved, submitted: a.submitted + b.submitted,
            returned: a.returned + b.returned, draft: a.draft + b.draft, nothing: a.nothing + b.nothing)
    }

    /// Counts one indicator in `state`.
    public mutating func add(_ state: ReportingState) {
        indicators += 1
        switch state {
        case .none: nothing += 1
        case .draft: draft += 1
        case .returned: returned += 1
        case .submitted: submitted += 1
        case .approved: approved += 1
        }
    }
}

/// A unit expected to report in a period, with its own indicators' states counted.
public struct CompletenessUnit: Sendable, Hashable {
    public var unitID: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var parentID: Int64?
    public var counts: CompletenessCounts
    /// Its deadline for the period's year (later than the province's where reporting was
    /// reopened); nil for a unit that reports no indicator.
    public var closesOn: CalendarDate?
    /// Days from today to `closesOn`; negative once closed.
    public var daysLeft: Int?

    public init(
        unitID: Int64, level: UnitLevel, code: String, name: String, parentID: Int64?, counts: CompletenessCounts, closesOn: CalendarDate?, daysLeft: Int?
    ) {
        (self.unitID, self.level, self.code, self.name, self.parentID, self.counts, self.closesOn, self.daysLeft) =
            (unitID, level, code, name, parentID, counts, closesOn, daysLeft)
    }

    /// Has sent nothing: no indicator submitted or approved.
    public var reportedNothing: Bool { counts.indicators > 0 && counts.reported == 0 }
}

/// One indicator of one unit in the period.
public struct CompletenessCell: Sendable, Hashable {
    public var unitID: Int64
    public var indicatorID: Int64
    public var indicatorCode: String
    public var indicatorName: String
    public var state: ReportingState
    /// Results of the unit and indicator within the period, in any state.
    public var results: Int

    public init(unitID: Int64, indicatorID: Int64, indicatorCode: String, indicatorName: String, state: ReportingState, results: Int) {
        (self.unitID, self.indicatorID, self.indicatorCode, self.indicatorName, self.state, self.results) =
            (unitID, indicatorID, indicatorCode, indicatorName, state, results)
    }
}

/// Reporting completeness of a scope for a period: every unit expected to report, summed per
/// level and per subtree; the units that have sent nothing.
public struct CompletenessReport: Sendable, Hashable {
    /// The level's figures: its units, those that sent nothing, and their indicators' states.
    public struct Level: Sendable, Hashable {
        public var level: UnitLevel
        public var units: Int
        public var unitsWithoutReports: Int
        public var counts: CompletenessCounts
    }

    public var phase: String
    public var period: ReportingPeriod
    /// The units the report starts from (the unit asked for, or the caller's grant units).
    public var roots: [Int64]
    /// Every unit of the scope valid in the period, in tree order; those that report no
    /// indicator count nothing but hold the tree together.
    public var units: [CompletenessUnit]
    /// The indicators of the root units, one by one.
    public var cells: [CompletenessCell]

    public init(phase: String, period: ReportingPeriod, roots: [Int64], units: [CompletenessUnit], cells: [CompletenessCell]) {
        (self.phase, self.period, self.roots, self.units, self.cells) = (phase, period, roots, units, cells)
    }

    /// The earliest deadline among the units (the province's, unless reopened everywhere).
    public var closesOn: CalendarDate? { units.compactMap(\.closesOn).min() }

    /// Days left to `closesOn`.
    public var daysLeft: Int? { units.filter { $0.closesOn != nil && $0.closesOn == closesOn }.first?.daysLeft }

    /// Per level, from the top.
    public var levels: [Level] {
        UnitLevel.allCases.compactMap { level in
            let members = units.filter { $0.level == level && $0.counts.indicators > 0 }
            guard !members.isEmpty else { return nil }
            return Level(
                level: level, units: members.count, unitsWithoutReports: members.count { $0.reportedNothing },
                counts: members.reduce(CompletenessCounts()) { $0 + $1.counts })
        }
    }

    /// The units that have sent nothing.
    public var unitsWithoutReports: [CompletenessUnit] { units.filter(\.reportedNothing) }

    /// The units directly below `unitID` that have units expected to report in their subtree, or
    /// are expected themselves, each with the counts of its whole subtree.
    public func children(of unitID: Int64) -> [(unit: CompletenessUnit, subtree: CompletenessCounts, unitsWithoutReports: Int, units: Int)] {
        var childrenOf: [Int64: [CompletenessUnit]] = [:]
        for unit in units { if let parent = unit.parentID { childrenOf[parent, default: []].append(unit) } }
        func walk(_ unit: CompletenessUnit) -> (CompletenessCounts, Int, Int) {
            var counts = unit.counts
            var silent = unit.reportedNothing ? 1 : 0
            var expected = unit.counts.indicators > 0 ? 1 : 0
            for child in childrenOf[unit.unitID] ?? [] {
                let (c, s, e) = walk(child)
                counts = counts + c
                silent += s
                expected += e
            }
            return (counts, silent, expected)
        }
        return (childrenOf[unitID] ?? []).map { child in
            let (counts, silent, expected) = walk(child)
            return (child, counts, silent, expected)
        }
    }
}

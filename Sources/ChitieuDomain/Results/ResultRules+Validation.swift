extension ResultRules {
    /// What an indicator asks of its results.
    public struct IndicatorRules: Sendable, Hashable {
        public var code: String
        /// The levels whose units report it.
        public var reportingLevels: [String]
        public var disaggregation: [String: [String]]?
        public var companionMeasure: String?
        /// The day it is suspended from, when it is.
        public var suspendedFrom: CalendarDate?
        public var companionDisaggregation: [String: [String]]?

        public init(
            code: String, reportingLevels: [String], disaggregation: [String: [String]]?, companionMeasure: String?, suspendedFrom: CalendarDate?,
            companionDisaggregation: [String: [String]]?
        ) {
            self.code = code
            self.reportingLevels = reportingLevels
            self.disaggregation = disaggregation
            self.companionMeasure = companionMeasure
            self.suspendedFrom = suspendedFrom
            self.companionDisaggregation = companionDisaggregation
        }

        /// The first problem with figures for this indicator, as (field, reason), or nil.
        public func problem(with figures: ResultFigures) -> (String, String)? {
            ResultRules.problem(
                with: figures, disaggregation: disaggregation, companionMeasure: companionMeasure, companionDisaggregation: companionDisaggregation)
        }
    }

    /// Why a result is not taken: input that breaks a rule, or a unit whose results are history.
    public enum Refusal: Sendable, Equatable {
        /// Bad input, naming the field.
        case input(field: String, reason: String)
        /// The unit ended: its results are read only.
        case conflict(field: String, reason: String)
    }

    /// The first reason a result of `figures` over `start...end` for `unit` is not taken, or nil:
    /// a unit of a level that reports the indicator, a period before its suspension, within one
    /// year, not in the future, the figures the indicator asks for, and a unit that exists over
    /// the whole period and has not ended (January to June 2025 is reported on the old units, July
    /// to December on the new ones).
    public static func refusal(
        start: CalendarDate, end: CalendarDate, figures: ResultFigures, unit: FoundUnit, indicator: IndicatorRules, today: CalendarDate
    ) -> Refusal? {
        let code = indicator.code
        let levels = indicator.reportingLevels
        guard levels.contains(unit.level.rawValue) else {
            return .input(field: "unit_id", reason: "\(code) is reported by \(levels.joined(separator: ", ")) units, not by a \(unit.level.rawValue)")
        }
        if let from = indicator.suspendedFrom, end >= from {
            return .input(field: "indicator_id", reason: "\(code) is suspended from \(from); results after that date are not taken")
        }
        guard start <= end else { return .input(field: "period_end", reason: "is before period_start") }
        guard start.year == end.year else {
            return .input(field: "period_end", reason: "a period lies within one year (\(start.year)); report each year apart")
        }
        guard end <= today else { return .input(field: "period_end", reason: "\(end) is in the future") }
        guard start.year >= 2000 else { return .input(field: "period_start", reason: "is before 2000") }
        if let (field, reason) = indicator.problem(with: figures) { return .input(field: field, reason: reason) }
        let named = "\(unit.code) \(unit.name)"
        if let refusal = EndedUnit.refusal(unit: named, ended: unit.ended, validTo: unit.validTo, what: "its results") {
            return .conflict(field: "unit_id", reason: refusal)
        }
        if start < unit.validFrom {
            return .input(field: "period_start", reason: "\(named) exists from \(unit.validFrom); report earlier periods on the units of that time")
        }
        if let to = unit.validTo, to < end {
            return .input(field: "period_end", reason: "\(named) ended on \(to); report later periods on the units that succeeded it")
        }
        return nil
    }
}

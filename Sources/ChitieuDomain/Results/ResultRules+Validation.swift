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
            error(with: figures).map { ($0.field ?? "", $0.reason) }
        }

        /// The first problem with figures for this indicator, as the error to throw, or nil.
        public func error(with figures: ResultFigures) -> ChitieuError? {
            ResultRules.error(
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
        guard let error = error(start: start, end: end, figures: figures, unit: unit, indicator: indicator, today: today) else { return nil }
        return error.code == .unitEnded
            ? .conflict(field: error.field ?? "", reason: error.reason) : .input(field: error.field ?? "", reason: error.reason)
    }

    /// `refusal(start:end:figures:unit:indicator:today:)` as the error to throw (`invalid`, or
    /// `unitEnded`), worded by the catalogue.
    public static func error(
        start: CalendarDate, end: CalendarDate, figures: ResultFigures, unit: FoundUnit, indicator: IndicatorRules, today: CalendarDate
    ) -> ChitieuError? {
        let code = indicator.code
        let levels = indicator.reportingLevels
        guard levels.contains(unit.level.rawValue) else {
            let words = levels.map { UnitLevel(rawValue: $0)?.vietnamese ?? $0 }.joined(separator: ", ")
            return ChitieuError(
                .invalid, field: "unit_id", .notReportedBy,
                ["code": .text(code), "levels": .words(en: levels.joined(separator: ", "), vi: words),
                 "level": .words(en: unit.level.rawValue, vi: unit.level.vietnamese)])
        }
        if let from = indicator.suspendedFrom, end >= from {
            return ChitieuError(.invalid, field: "indicator_id", .indicatorSuspended, ["code": .text(code), "date": .date(from)])
        }
        guard start <= end else { return ChitieuError(.invalid, field: "period_end", .endBeforeStart) }
        guard start.year == end.year else { return ChitieuError(.invalid, field: "period_end", .periodAcrossYears, ["year": .year(start.year)]) }
        guard end <= today else { return ChitieuError(.invalid, field: "period_end", .inTheFuture, ["date": .date(end)]) }
        guard start.year >= 2000 else { return ChitieuError(.invalid, field: "period_start", .beforeYear, ["year": .year(2000)]) }
        if let error = indicator.error(with: figures) { return error }
        let named = "\(unit.code) \(unit.name)"
        if let error = EndedUnit.error(field: "unit_id", unit: named, ended: unit.ended, validTo: unit.validTo, what: "its results") {
            return error
        }
        if start < unit.validFrom {
            return ChitieuError(.invalid, field: "period_start", .unitNotYet, ["unit": .text(named), "date": .date(unit.validFrom)])
        }
        if let to = unit.validTo, to < end {
            return ChitieuError(.invalid, field: "period_end", .unitEndedBefore, ["unit": .text(named), "date": .date(to)])
        }
        return nil
    }
}

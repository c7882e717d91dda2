// The errors several places throw, worded by the catalogue.

extension ChitieuError {
    /// The thing is unknown to this caller: `what` is an English noun phrase (`the unit`).
    public static func notFound(_ what: String) -> ChitieuError {
        ChitieuError(.notFound, .notFound, ["what": .noun(what)])
    }

    /// Too many attempts: wait `seconds`.
    public static func rateLimited(retryAfter seconds: Int, _ reason: String) -> ChitieuError {
        var error = ChitieuError(.rateLimited, reason)
        error.arguments["seconds"] = .count(seconds)
        return error
    }

    /// A field that must be given.
    public static func required(_ field: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, .required)
    }

    /// A whole number outside `0...maximum`.
    public static func wholeNumber(_ field: String, maximum: Int) -> ChitieuError {
        ChitieuError(.invalid, field: field, .wholeNumber, ["maximum": .count(maximum)])
    }

    /// An integer outside `minimum...maximum`.
    public static func integerRange(_ field: String, _ range: ClosedRange<Int>) -> ChitieuError {
        ChitieuError(.invalid, field: field, .integerRange, ["minimum": .count(range.lowerBound), "maximum": .count(range.upperBound)])
    }

    /// A year outside `first...last`.
    public static func yearRange(_ field: String = "year", _ years: ClosedRange<Int>) -> ChitieuError {
        ChitieuError(.invalid, field: field, .yearRange, ["first": .year(years.lowerBound), "last": .year(years.upperBound)])
    }

    /// A day that must not be past.
    public static func inThePast(_ field: String, _ date: CalendarDate) -> ChitieuError {
        ChitieuError(.invalid, field: field, .inThePast, ["date": .date(date)])
    }

    /// A year outside the phase.
    public static func outsidePhase(_ field: String = "year", year: Int, phase: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, .outsidePhase, ["year": .year(year), "phase": .text(phase)])
    }

    /// A phase code the province does not have.
    public static func unknownPhase(_ field: String = "phase", code: String, known: [String]) -> ChitieuError {
        ChitieuError(.invalid, field: field, .unknownPhase, ["code": .text(code), "known": .text(known.joined(separator: ", "))])
    }

    /// A unit id of the province that does not exist during the phase.
    public static func unitOutsidePhase(_ field: String = "unit_id", unit: Int64, phase: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, .unitOutsidePhase, ["unit": .text(String(unit)), "phase": .text(phase)])
    }

    /// A unit code no unit of the province carries during the phase.
    public static func unknownUnit(_ field: String = "unit", code: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, .unknownUnit, ["code": .text(code)])
    }

    /// An indicator code the province does not have.
    public static func unknownIndicator(_ field: String = "indicator", code: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, .unknownIndicator, ["code": .text(code)])
    }

    /// A move the result's state does not allow.
    public static func wrongState(_ state: ResultRules.State, _ move: ResultRules.Move) -> ChitieuError {
        let stateWords =
            switch state {
            case .draft: "là bản nháp"
            case .submitted: "đang chờ duyệt"
            case .approved: "đã được duyệt"
            case .returned: "đã bị trả lại"
            }
        let moveWords: (en: String, vi: String) =
            switch move {
            case .update: ("changed", "sửa")
            case .submit: ("submitted", "gửi duyệt")
            case .approve: ("approved", "duyệt")
            case .giveBack: ("returned", "trả lại")
            case .correct: ("corrected (only approved results are)", "điều chỉnh (chỉ kết quả đã duyệt mới được điều chỉnh)")
            }
        return ChitieuError(
            .wrongState, field: "state", .wrongState,
            ["state": .words(en: state.rawValue, vi: stateWords), "move": .words(en: moveWords.en, vi: moveWords.vi)])
    }

    /// The result changed since the version the caller read.
    public static func staleVersion(expected: Int, actual: Int) -> ChitieuError {
        ChitieuError(.staleVersion, field: "version", .staleVersion, ["expected": .count(expected), "actual": .count(actual)])
    }

    /// The year's reporting closed for the unit.
    public static func deadlinePassed(_ field: String = "period_end", year: Int, closedOn: CalendarDate) -> ChitieuError {
        ChitieuError(.deadlinePassed, field: field, .deadlinePassed, ["year": .year(year), "date": .date(closedOn)])
    }
}

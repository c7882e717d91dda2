/// The rule of units that ended (merged into another, split, dissolved): what they hold is history.
public enum EndedUnit {
    /// Why `what` of a unit (its targets, allocation rules, results) may not change — the unit
    /// ended before today, so they are history, read only — or nil when they may. `unit` names the
    /// unit as the message shows it.
    public static func refusal(unit: String, ended: Bool, validTo: CalendarDate?, what: String) -> String? {
        guard ended, let validTo else { return nil }
        return "\(unit) ended on \(validTo); \(what) are history and read only"
    }
}

extension EndedUnit {
    /// The refusal of `refusal(unit:ended:validTo:what:)` as an error (`unitEnded`), or nil.
    public static func error(field: String, unit: String, ended: Bool, validTo: CalendarDate?, what: String) -> ChitieuError? {
        guard ended, let validTo else { return nil }
        return ChitieuError(.unitEnded, field: field, .unitEnded, ["unit": .text(unit), "date": .date(validTo), "what": .noun(what)])
    }
}

extension TargetUnit {
    /// Why `what` of this unit may not change, as an error naming `field`, or nil when they may.
    public func endedError(_ what: String, field: String = "unit") -> ChitieuError? {
        EndedUnit.error(field: field, unit: "\(code) \(name)", ended: ended, validTo: validTo, what: what)
    }

    /// Why `what` of this unit may not change (`EndedUnit`), or nil when they may.
    public func endedRefusal(_ what: String) -> String? {
        EndedUnit.refusal(unit: "\(code) \(name)", ended: ended, validTo: validTo, what: what)
    }
}

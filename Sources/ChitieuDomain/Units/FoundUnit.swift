/// A unit as a lookup by reference finds it: enough to check access, level and validity.
public struct FoundUnit: Sendable, Hashable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var validFrom: CalendarDate
    public var validTo: CalendarDate?
    /// It ended before the database's today: its data is history.
    public var ended: Bool

    /// A unit.
    public init(id: Int64, level: UnitLevel, code: String, name: String, validFrom: CalendarDate, validTo: CalendarDate?, ended: Bool) {
        self.id = id
        self.level = level
        self.code = code
        self.name = name
        self.validFrom = validFrom
        self.validTo = validTo
        self.ended = ended
    }
}

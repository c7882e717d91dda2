/// A unit as targets see it: its place in the tree and the days it exists.
public struct TargetUnit: Sendable, Hashable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var parentID: Int64?
    /// Position among siblings in Vietnamese order.
    public var sortKey: Int
    /// First day of validity.
    public var validFrom: CalendarDate
    /// Last day of validity, nil while current.
    public var validTo: CalendarDate?
    /// It ended before today: its targets are history, read only.
    public var ended: Bool

    /// A unit.
    public init(
        id: Int64, level: UnitLevel, code: String, name: String, parentID: Int64?, sortKey: Int, validFrom: CalendarDate,
        validTo: CalendarDate?, ended: Bool = false
    ) {
        self.id = id
        self.level = level
        self.code = code
        self.name = name
        self.parentID = parentID
        self.sortKey = sortKey
        self.validFrom = validFrom
        self.validTo = validTo
        self.ended = ended
    }

    /// Whether the unit exists on some day of a year.
    public func exists(in year: Int) -> Bool {
        validFrom.year <= year && (validTo.map { $0.year >= year } ?? true)
    }

    /// The province's own unit among the units of a phase: the latest (a merged province also has
    /// its predecessors' own units, which ended; their trees are not below it).
    public static func root(of units: [TargetUnit]) -> TargetUnit? {
        units.filter { $0.level == .province }.max { $0.validFrom < $1.validFrom }
    }
}

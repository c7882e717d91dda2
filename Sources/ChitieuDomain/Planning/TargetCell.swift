/// One target cell of a unit: its phase value or one year's.
public struct TargetCell: Sendable, Hashable {
    public var unitID: Int64
    /// nil for the phase value.
    public var year: Int?
    public var value: Int
    /// assigned, allocated or overridden.
    public var origin: String
    /// Set by hand and kept by allocations.
    public var locked: Bool

    /// The largest target value.
    public static let maximumValue = 1_000_000_000

    /// A cell.
    public init(unitID: Int64, year: Int?, value: Int, origin: String, locked: Bool) {
        self.unitID = unitID
        self.year = year
        self.value = value
        self.origin = origin
        self.locked = locked
    }
}

/// How a parent's target is split among its children.
public enum AllocationMethod: String, Sendable, Hashable, CaseIterable {
    /// The same share for every child.
    case equal
    /// Shares by explicit weights per child, or by a unit attribute.
    case weighted
    /// Not computed: the children's targets are set by hand.
    case manual
}

/// How a unit's target is split among its children and over the years.
public struct AllocationRule: Sendable, Hashable {
    /// equal, weighted (explicit weights by child code), or manual (not computed), as given
    /// (`method` reads it; `problem` refuses anything else).
    public var childMethod: String
    /// Weights by child GSO code, for `weighted`.
    public var childWeights: [String: Int64]
    /// Yearly shares of the phase (by year of the phase), nil for equal.
    public var yearWeights: [Int64]?
    /// At least this much for every child.
    public var minimumPerChild: Int
    /// For `weighted`: a unit attribute (e.g. population) that weights the children.
    public var weightAttribute: String?

    /// Creates a rule.
    public init(
        childMethod: String = "equal", childWeights: [String: Int64] = [:], yearWeights: [Int64]? = nil, minimumPerChild: Int = 0,
        weightAttribute: String? = nil
    ) {
        self.childMethod = childMethod
        self.childWeights = childWeights
        self.yearWeights = yearWeights
        self.minimumPerChild = minimumPerChild
        self.weightAttribute = weightAttribute
    }

    /// The largest explicit weight of a child (the API's bound too).
    public static let maximumWeight = WeightsCSV.maximumWeight
    /// The largest share of one year in a year profile.
    public static let maximumYearShare: Int64 = 1_000_000
    /// The largest minimum per child (a target's bound).
    public static let maximumMinimum = TargetCell.maximumValue

    /// The method, nil for a text that names none.
    public var method: AllocationMethod? { AllocationMethod(rawValue: childMethod) }

    /// The first problem with the rule on its own, as (field, reason), or nil.
    public var problem: (field: String, reason: String)? {
        guard method != nil else {
            return ("method", "'\(childMethod)' is not one of \(AllocationMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (0...Self.maximumMinimum).contains(minimumPerChild) else {
            return ("minimum", "\(minimumPerChild) is not a whole number from 0 to \(Self.maximumMinimum)")
        }
        if method == .weighted && childWeights.isEmpty && weightAttribute == nil {
            return ("weights", "a weighted rule needs explicit weights or a unit attribute")
        }
        if let bad = childWeights.sorted(by: { $0.key < $1.key }).first(where: { !(0...Self.maximumWeight).contains($0.value) }) {
            return ("weights", "the weight of \(bad.key) (\(bad.value)) is not a whole number from 0 to \(Self.maximumWeight)")
        }
        if let years = yearWeights, let bad = years.first(where: { !(0...Self.maximumYearShare).contains($0) }) {
            return ("years", "the share \(bad) is not a whole number from 0 to \(Self.maximumYearShare)")
        }
        return nil
    }

    /// The first problem with the rule set on `unit` for a phase whose units are `units`, as
    /// (field, reason), or nil: a year profile of the phase's length, on the province only, and
    /// weights of the unit's own children.
    public func problem(at unit: TargetUnit, phase: Phase, units: [TargetUnit]) -> (field: String, reason: String)? {
        if let years = yearWeights, years.count != phase.years.count || years.contains(where: { $0 < 0 }) {
            return ("years", "the year profile needs \(phase.years.count) shares of 0 or more, one per year of \(phase.code)")
        }
        if yearWeights != nil, let root = TargetUnit.root(of: units), root.id != unit.id {
            return ("years", Self.yearProfileBelowProvince(unit.code, unit.name))
        }
        let children = Set(units.filter { $0.parentID == unit.id }.map(\.code))
        if let stranger = childWeights.keys.sorted().first(where: { !children.contains($0) }) {
            return ("weights", "'\(stranger)' is not a unit directly below \(unit.code) \(unit.name)")
        }
        return nil
    }

    /// Why a year profile is refused below the province.
    static func yearProfileBelowProvince(_ code: String, _ name: String) -> String {
        "a year profile is set on the province's rule only: the years of \(code) \(name) are its share of the province's years, so its children's years add up to them; set the rule without --years (\"years\")"
    }
}

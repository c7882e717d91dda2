/// The figures of a result as a unit reports them.
public struct ResultFigures: Sendable, Hashable {
    /// The count (for stock indicators, the level at the end of the period).
    public var value: Int
    /// Breakdown per dimension of the indicator's disaggregation, e.g. ["sex": ["nữ": 30, "nam": 12]].
    public var breakdown: [String: [String: Int]]?
    /// The companion measure (members, participants), when the indicator has one.
    public var companionValue: Int?
    /// Breakdown of the companion figure per dimension of the indicator's companion
    /// disaggregation, e.g. ["sex": ["nữ": 14, "nam": 9]] members of the clubs.
    public var companionBreakdown: [String: [String: Int]]?
    /// What supports the figure (minutes, lists, photos kept at the commune).
    public var evidenceNote: String?

    public init(
        value: Int, breakdown: [String: [String: Int]]? = nil, companionValue: Int? = nil,
        companionBreakdown: [String: [String: Int]]? = nil, evidenceNote: String? = nil
    ) {
        self.value = value
        self.breakdown = breakdown.map(Self.normalized)
        self.companionValue = companionValue
        self.companionBreakdown = companionBreakdown.map(Self.normalized)
        self.evidenceNote = evidenceNote.map(Names.normalized).flatMap { $0.isEmpty ? nil : $0 }
    }

    // Keys are compared in NFC without surrounding spaces; callers refuse keys that collide
    // that way (`ResultFigures.collidingKey`), so merging here only keeps the init total.
    static func normalized(_ b: [String: [String: Int]]) -> [String: [String: Int]] {
        Dictionary(
            b.map { (Names.normalized($0.key), Dictionary($0.value.map { (Names.normalized($0.key), $0.value) }, uniquingKeysWith: +)) },
            uniquingKeysWith: { first, _ in first })
    }
}

extension ResultFigures {
    /// A dimension or category name given twice once normalized (e.g. "nam" and "nam "), as a
    /// field path, or nil.
    public static func collidingKey(in breakdown: [String: [String: Int]], field: String = "breakdown") -> String? {
        var dimensions: Set<String> = []
        for (dimension, counts) in breakdown.sorted(by: { $0.key < $1.key }) {
            let d = Names.normalized(dimension)
            if !dimensions.insert(d).inserted { return "\(field).\(d)" }
            var categories: Set<String> = []
            for category in counts.keys.sorted() where !categories.insert(Names.normalized(category)).inserted {
                return "\(field).\(d).\(Names.normalized(category))"
            }
        }
        return nil
    }
}

/// What a result must satisfy, whatever way it comes in.
public enum ResultRules {
    /// The largest count accepted.
    public static let maximumValue = 10_000_000

    /// The first problem with the figures for an indicator, as (field, reason), or nil.
    public static func problem(
        with figures: ResultFigures, disaggregation: [String: [String]]?, companionMeasure: String?,
        companionDisaggregation: [String: [String]]? = nil
    ) -> (String, String)? {
        error(with: figures, disaggregation: disaggregation, companionMeasure: companionMeasure, companionDisaggregation: companionDisaggregation)
            .map { ($0.field ?? "", $0.reason) }
    }

    /// The first problem with figures, as the error to throw (`invalid`), or nil.
    public static func error(
        with figures: ResultFigures, disaggregation: [String: [String]]?, companionMeasure: String?,
        companionDisaggregation: [String: [String]]? = nil
    ) -> ChitieuError? {
        guard (0...maximumValue).contains(figures.value) else { return .wholeNumber("value", maximum: maximumValue) }
        if let companion = figures.companionValue {
            guard companionMeasure != nil else { return ChitieuError(.invalid, field: "companion_value", .noCompanion) }
            guard (0...maximumValue).contains(companion) else { return .wholeNumber("companion_value", maximum: maximumValue) }
        }
        if let note = figures.evidenceNote {
            if note.count > 4000 { return ChitieuError(.invalid, field: "evidence_note", .tooLong, ["maximum": .count(4000)]) }
            if note.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" && $0 != "\r" }) {
                return ChitieuError(.invalid, field: "evidence_note", .controlCharacter)
            }
        }
        if let breakdown = figures.breakdown {
            guard let dimensions = disaggregation, !dimensions.isEmpty else {
                return ChitieuError(.invalid, field: "breakdown", reason: companionDisaggregation == nil
                    ? "the indicator has no breakdown" : "the indicator breaks down its companion figure only: give it as companion_breakdown")
            }
            if let error = error(with: breakdown, dimensions: dimensions, total: figures.value, field: "breakdown", totalName: .words(en: "the value", vi: "giá trị")) {
                return error
            }
        }
        if let breakdown = figures.companionBreakdown {
            guard let dimensions = companionDisaggregation, !dimensions.isEmpty else {
                return ChitieuError(.invalid, field: "companion_breakdown", reason: "the indicator has no breakdown of its companion figure")
            }
            guard let companion = figures.companionValue else {
                return ChitieuError(.invalid, field: "companion_breakdown", reason: "breaks down the companion figure: give companion_value too")
            }
            if let error = error(
                with: breakdown, dimensions: dimensions, total: companion, field: "companion_breakdown",
                totalName: .words(en: "companion_value", vi: "số liệu đi kèm"))
            {
                return error
            }
        }
        return nil
    }

    /// The first problem with one breakdown: every category of each dimension given, and they
    /// add up to the figure it breaks down.
    static func error(
        with breakdown: [String: [String: Int]], dimensions: [String: [String]], total figure: Int, field: String, totalName: MessageArgument
    ) -> ChitieuError? {
        for dimension in breakdown.keys.sorted() {
            let counts = breakdown[dimension]!
            guard let categories = dimensions[dimension] else {
                return ChitieuError(
                    .invalid, field: "\(field).\(dimension)", .notADimension,
                    ["dimension": .text(dimension), "known": .text(dimensions.keys.sorted().joined(separator: ", "))])
            }
            if let stranger = counts.keys.sorted().first(where: { !categories.contains($0) }) {
                return ChitieuError(
                    .invalid, field: "\(field).\(dimension).\(stranger)", .notACategory,
                    ["dimension": .text(dimension), "known": .text(categories.joined(separator: ", "))])
            }
            if let missing = categories.first(where: { counts[$0] == nil }) {
                return ChitieuError(.invalid, field: "\(field).\(dimension).\(missing)", .missingCategory, ["dimension": .text(dimension)])
            }
            if let negative = categories.first(where: { counts[$0]! < 0 || counts[$0]! > maximumValue }) {
                return .wholeNumber("\(field).\(dimension).\(negative)", maximum: maximumValue)
            }
            let total = categories.reduce(0) { $0 + counts[$1]! }
            if total != figure {
                return ChitieuError(
                    .invalid, field: "\(field).\(dimension)", .breakdownSum, ["total": .count(total), "name": totalName, "figure": .count(figure)])
            }
        }
        return nil
    }

    /// Result states and the moves between them.
    public enum State: String, Sendable, Hashable, CaseIterable {
        case draft, submitted, approved, returned

        /// Whether the reporting unit may still change the figures.
        public var isEditable: Bool { self == .draft || self == .returned }
    }

    /// What can happen to a result.
    public enum Move: String, Sendable, Hashable, CaseIterable {
        case update, submit, approve, giveBack = "return", correct
    }

    /// The state after a move, or nil when the move is not allowed from `state`.
    public static func next(_ state: State, _ move: Move) -> State? {
        switch (state, move) {
        case (.draft, .update), (.returned, .update): return state
        case (.draft, .submit), (.returned, .submit): return .submitted
        case (.submitted, .approve): return .approved
        case (.submitted, .giveBack): return .returned
        case (.approved, .correct): return .approved
        default: return nil
        }
    }
}

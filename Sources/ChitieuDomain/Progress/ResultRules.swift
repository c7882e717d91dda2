/// The figures of a result as a unit reports them.
public struct ResultFigures: Sendable, Hashable {
    /// The count (for stock indicators, the level at the end of the period).
    public var value: Int
    /// Breakdown per dimension of the indicator's disaggregation, e.g. ["sex": ["nữ": 30, "nam": 12]].
    public var breakdown: [String: [String: Int]]?
    /// The companion measure (members, participants), when the indicator has one.
    public var companionValue: Int?
    /// What supports the figure (minutes, lists, photos kept at the commune).
    public var evidenceNote: String?

    public init(value: Int, breakdown: [String: [String: Int]]? = nil, companionValue: Int? = nil, evidenceNote: String? = nil) {
        self.value = value
        // Keys are compared in NFC without surrounding spaces; callers refuse keys that collide
        // that way (`ResultFigures.collidingKey`), so merging here only keeps the init total.
        self.breakdown = breakdown.map { b in
            Dictionary(
                b.map { (Names.normalized($0.key), Dictionary($0.value.map { (Names.normalized($0.key), $0.value) }, uniquingKeysWith: +)) },
                uniquingKeysWith: { first, _ in first })
        }
        self.companionValue = companionValue
        self.evidenceNote = evidenceNote.map(Names.normalized).flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension ResultFigures {
    /// A dimension or category name given twice once normalized (e.g. "nam" and "nam "), as a
    /// field path, or nil.
    public static func collidingKey(in breakdown: [String: [String: Int]]) -> String? {
        var dimensions: Set<String> = []
        for (dimension, counts) in breakdown.sorted(by: { $0.key < $1.key }) {
            let d = Names.normalized(dimension)
            if !dimensions.insert(d).inserted { return "breakdown.\(d)" }
            var categories: Set<String> = []
            for category in counts.keys.sorted() where !categories.insert(Names.normalized(category)).inserted {
                return "breakdown.\(d).\(Names.normalized(category))"
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
        with figures: ResultFigures, disaggregation: [String: [String]]?, companionMeasure: String?
    ) -> (String, String)? {
        guard (0...maximumValue).contains(figures.value) else { return ("value", "must be a whole number from 0 to \(maximumValue)") }
        if let companion = figures.companionValue {
            guard companionMeasure != nil else { return ("companion_value", "the indicator has no companion measure") }
            guard (0...maximumValue).contains(companion) else { return ("companion_value", "must be a whole number from 0 to \(maximumValue)") }
        }
        if let note = figures.evidenceNote {
            if note.count > 4000 { return ("evidence_note", "is longer than 4000 characters") }
            if note.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" && $0 != "\r" }) {
                return ("evidence_note", "contains a control character")
            }
        }
        guard let breakdown = figures.breakdown else { return nil }
        guard let dimensions = disaggregation, !dimensions.isEmpty else {
            return ("breakdown", "the indicator has no breakdown")
        }
        for dimension in breakdown.keys.sorted() {
            let counts = breakdown[dimension]!
            guard let categories = dimensions[dimension] else {
                return ("breakdown.\(dimension)", "is not a dimension of the indicator (it has \(dimensions.keys.sorted().joined(separator: ", ")))")
            }
            if let stranger = counts.keys.sorted().first(where: { !categories.contains($0) }) {
                return ("breakdown.\(dimension).\(stranger)", "is not a category of \(dimension) (\(categories.joined(separator: ", ")))")
            }
            if let missing = categories.first(where: { counts[$0] == nil }) {
                return ("breakdown.\(dimension).\(missing)", "is missing: give every category of \(dimension), 0 if none")
            }
            if let negative = categories.first(where: { counts[$0]! < 0 || counts[$0]! > maximumValue }) {
                return ("breakdown.\(dimension).\(negative)", "must be a whole number from 0 to \(maximumValue)")
            }
            let total = categories.reduce(0) { $0 + counts[$1]! }
            if total != figures.value {
                return ("breakdown.\(dimension)", "adds up to \(total), not to the value \(figures.value)")
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

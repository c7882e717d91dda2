import Foundation

/// An indicator as an operator describes it, checked before it is stored.
public struct IndicatorDraft: Sendable, Hashable {
    /// Short code unique in the province (letters, digits, `.`, `_`, `-`).
    public var code: String
    /// Vietnamese name.
    public var name: String
    /// English name, optional.
    public var nameEnglish: String?
    /// Unit of measure: tổ, câu lạc bộ, lớp, người…
    public var measureUnit: String
    /// flow or stock.
    public var kind: IndicatorKind
    /// Levels that report it.
    public var reportingLevels: [UnitLevel]
    /// Optional breakdown: a dimension and its categories, e.g. sex: nữ, nam.
    public var disaggregation: [String: [String]]?
    /// Optional companion measure (members, participants).
    public var companionMeasure: String?
    /// Optional breakdown of the companion figure, e.g. members by sex: nữ, nam (clubs and
    /// courses are not women or men; their members and participants are).
    public var companionDisaggregation: [String: [String]]?
    /// Code of a national indicator it reports to.
    public var nationalCode: String?

    /// Creates a draft, normalising every text to NFC.
    public init(
        code: String, name: String, nameEnglish: String? = nil, measureUnit: String, kind: IndicatorKind,
        reportingLevels: [UnitLevel] = [.commune], disaggregation: [String: [String]]? = nil, companionMeasure: String? = nil,
        companionDisaggregation: [String: [String]]? = nil, nationalCode: String? = nil
    ) {
        self.code = code.trimmingCharacters(in: .whitespaces)
        self.name = Names.normalized(name)
        self.nameEnglish = nameEnglish.map(Names.normalized).flatMap { $0.isEmpty ? nil : $0 }
        self.measureUnit = Names.normalized(measureUnit)
        self.kind = kind
        self.reportingLevels = reportingLevels
        self.disaggregation = disaggregation.map(Self.normalized)
        self.companionMeasure = companionMeasure.map(Names.normalized).flatMap { $0.isEmpty ? nil : $0 }
        self.companionDisaggregation = companionDisaggregation.map(Self.normalized)
        self.nationalCode = nationalCode.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first problem found, as (field, reason), or nil when the draft is acceptable.
    public func problem() -> (field: String, reason: String)? {
        let allowed = code.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "." || $0 == "_" || $0 == "-" }
        if code.isEmpty || code.count > 40 || !allowed || code.first == "-" || code.first == "." || code.first == "_" {
            return ("code", "'\(code)' must be 1–40 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        if let p = Names.problem(with: name, maxLength: 500) { return ("name", "the name \(p)") }
        if let nameEnglish, let p = Names.problem(with: nameEnglish, maxLength: 500) { return ("name-en", "the English name \(p)") }
        if let p = Names.problem(with: measureUnit, maxLength: 50) { return ("unit", "the unit of measure \(p)") }
        if reportingLevels.isEmpty { return ("levels", "at least one reporting level is needed (province, district, commune)") }
        if let companionMeasure, let p = Names.problem(with: companionMeasure, maxLength: 100) { return ("companion", "the companion measure \(p)") }
        if let disaggregation, let reason = Self.problem(with: disaggregation) { return ("disaggregation", reason) }
        if let companionDisaggregation {
            if companionMeasure == nil {
                return ("companion-disaggregation", "breaks down the companion figure: give the companion measure (thành viên, học viên…) too")
            }
            if let reason = Self.problem(with: companionDisaggregation) { return ("companion-disaggregation", reason) }
        }
        return nil
    }

    static func normalized(_ d: [String: [String]]) -> [String: [String]] {
        Dictionary(d.map { (Names.normalized($0.key), $0.value.map(Names.normalized)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The first problem with a disaggregation's dimensions and categories, or nil.
    static func problem(with disaggregation: [String: [String]]) -> String? {
        for (dimension, categories) in disaggregation.sorted(by: { $0.key < $1.key }) {
            if let p = Names.problem(with: dimension, maxLength: 50) { return "the dimension \(p)" }
            if categories.count < 2 { return "'\(dimension)' needs at least two categories" }
            if Set(categories).count != categories.count { return "'\(dimension)' repeats a category" }
            for c in categories { if let p = Names.problem(with: c, maxLength: 50) { return "a category of '\(dimension)' \(p)" } }
        }
        return nil
    }
}

extension UnitLevel {
    /// Parses a comma-separated list of levels ("district,commune").
    public static func parseList(_ text: String) -> [UnitLevel]? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let levels = parts.compactMap(UnitLevel.init(rawValue:))
        return levels.count == parts.count && !levels.isEmpty ? levels : nil
    }
}

/// Parses a disaggregation written as `sex=nữ|nam;ethnicity=DTTS|Kinh`.
public func parseDisaggregation(_ text: String) -> [String: [String]]? {
    var result: [String: [String]] = [:]
    for part in text.split(separator: ";") {
        let pieces = part.split(separator: "=", maxSplits: 1)
        guard pieces.count == 2 else { return nil }
        let key = pieces[0].trimmingCharacters(in: .whitespaces)
        let values = pieces[1].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !key.isEmpty, !values.contains(where: \.isEmpty) else { return nil }
        result[key] = values
    }
    return result.isEmpty ? nil : result
}

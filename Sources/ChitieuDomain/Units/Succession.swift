public import Foundation

/// A link from an earlier unit to a unit that took it over: whole, or a part of a split.
public struct SuccessionLink: Sendable, Hashable {
    /// The earlier unit.
    public var from: Int64
    /// The unit that took it over (or a part of it).
    public var to: Int64
    /// The successor's GSO code: it orders the parts, so results never depend on input order.
    public var toKey: String
    /// The part's weight, relative to the other links of the same earlier unit (millionths
    /// as stored; only ratios matter).
    public var weight: Int64

    /// Creates a link.
    public init(from: Int64, to: Int64, toKey: String, weight: Int64 = 1_000_000) {
        self.from = from
        self.to = to
        self.toKey = toKey
        self.weight = weight
    }
}

/// Yearly values of one unit: a value or nothing for each year of a phase, and the phase value.
public struct YearlySeries: Sendable, Hashable {
    /// One entry per year of the phase, in order.
    public var years: [Int?]
    /// The value of the whole phase.
    public var phase: Int?

    /// Creates a series.
    public init(years: [Int?], phase: Int?) {
        self.years = years
        self.phase = phase
    }

    /// A series with nothing in it.
    public static func empty(years: Int) -> YearlySeries { YearlySeries(years: Array(repeating: nil, count: years), phase: nil) }

    /// Adds another series cell by cell (nothing + nothing stays nothing).
    public mutating func add(_ other: YearlySeries) {
        for i in years.indices { years[i] = Self.sum(years[i], other.years[i]) }
        phase = Self.sum(phase, other.phase)
    }

    static func sum(_ a: Int?, _ b: Int?) -> Int? {
        switch (a, b) {
        case (nil, nil): nil
        default: (a ?? 0) + (b ?? 0)
        }
    }
}

/// Carries values of units that ended to the units that took them over, exactly:
/// - a whole link moves the values whole;
/// - the parts of a split share each value by their weights, every part the floor or the
///   ceiling of its exact share, the parts summing to the value: for flow indicators the
///   parts × years table is a controlled rounding with both margins fixed, as in allocation
///   (each part's years sum to its share of the phase, and each yearly part is the floor or
///   ceiling of its share of that year); for stock indicators milestones that never fall (a
///   target's) are shared as allocation shares them, so no part's milestones fall, and other
///   levels are shared year by year alike;
/// - chains (a unit that ended, succeeded by one that ended later) are followed to the end.
public enum Succession {
    /// Where the values of `series` (by earlier unit) end up among `current` units. Values of a
    /// unit that is neither current nor linked to a successor are returned apart, by unit.
    public static func carry(
        kind: IndicatorKind, series: [Int64: YearlySeries], links: [SuccessionLink], current: Set<Int64>
    ) throws(AllocationError) -> (carried: [Int64: YearlySeries], unplaced: [Int64: YearlySeries]) {
        let byFrom = Dictionary(grouping: links, by: \.from)
        var carried: [Int64: YearlySeries] = [:]
        var unplaced: [Int64: YearlySeries] = [:]
        // Work list of (unit, values, depth); depth guards against a cycle in bad data.
        var pending = series.sorted { $0.key < $1.key }.map { ($0.key, $0.value, 0) }
        while let (unit, values, depth) = pending.popLast() {
            if current.contains(unit) && depth > 0 {
                carried[unit, default: .empty(years: values.years.count)].add(values)
                continue
            }
            guard let parts = byFrom[unit], !parts.isEmpty, depth < 16 else {
                unplaced[unit, default: .empty(years: values.years.count)].add(values)
                continue
            }
            for (link, share) in zip(parts, try split(kind: kind, values, among: parts)) {
                pending.append((link.to, share, depth + 1))
            }
        }
        return (carried, unplaced)
    }

    /// Shares one unit's series among its successors (in the order of `parts`).
    public static func split(kind: IndicatorKind, _ values: YearlySeries, among parts: [SuccessionLink]) throws(AllocationError) -> [YearlySeries] {
        if parts.count == 1 { return [values] }
        let children = parts.map { AllocationChild(unitID: $0.to, key: $0.toKey, weight: $0.weight) }
        let order = children.indices.sorted { children[$0].key < children[$1].key || (children[$0].key == children[$1].key && children[$0].unitID < children[$1].unitID) }
        let ordered = order.map { children[$0] }
        // Shares of one value, in the order of `parts`.
        func share(_ value: Int?) throws(AllocationError) -> [Int?] {
            guard let value else { return Array(repeating: nil, count: parts.count) }
            let inOrder = try Allocation.apportion(total: value, children: ordered, floors: ordered.map { _ in 0 }, minimum: 0).totals
            var result = [Int?](repeating: nil, count: parts.count)
            for (position, original) in order.enumerated() { result[original] = inOrder[position] }
            return result
        }
        var out = parts.map { _ in YearlySeries.empty(years: values.years.count) }
        let yearly = values.years.compactMap { $0 }
        let phaseIsSum = values.phase == nil || values.phase == yearly.reduce(0, +)
        if kind == .flow && !yearly.isEmpty && phaseIsSum {
            // The parts × years table, both margins fixed, as allocation rounds it.
            let allocated = try Allocation.allocate(kind: .flow, parentYears: values.years.map { $0 ?? 0 }, children: children)
            for (p, a) in allocated.enumerated() {
                for (y, v) in values.years.enumerated() where v != nil { out[p].years[y] = a.years[y] }
                out[p].phase = values.phase == nil ? nil : a.total
            }
            return out
        }
        let levelsRise = yearly.count == values.years.count && zip(yearly, yearly.dropFirst()).allSatisfy { $0 <= $1 }
        if kind == .stock && !yearly.isEmpty && levelsRise && (values.phase == nil || values.phase == yearly.last) {
            // Milestones that never fall (a target's) are shared as allocation shares them: every
            // part's milestones never fall either.
            let allocated = try Allocation.allocate(kind: .stock, parentYears: yearly, children: children)
            for (p, a) in allocated.enumerated() {
                out[p].years = a.years.map(Optional.some)
                out[p].phase = values.phase == nil ? nil : a.total
            }
            return out
        }
        for (y, v) in values.years.enumerated() {
            for (p, s) in try share(v).enumerated() { out[p].years[y] = s }
        }
        for (p, s) in try share(values.phase).enumerated() { out[p].phase = s }
        return out
    }
}

/// One line of a succession file: an old commune and the new commune that took it (or a part).
public struct SuccessionRow: Sendable, Hashable {
    /// The old commune's GSO code (valid before the change).
    public var oldCode: String
    /// The new commune's GSO code (valid from the change).
    public var newCode: String
    /// whole, split or split-default (the part that took most of a split commune).
    public var kind: String
    /// The file's line, for errors.
    public var line: Int
}

/// Reads `succession-2025.csv`: columns `old_commune_code,new_commune_code,kind`, kind one of
/// whole, split, split-default; an old commune is either whole in one line or split in several.
public enum SuccessionCSV {
    /// The kinds a line may have.
    public static let kinds: Set<String> = ["whole", "split", "split-default"]

    /// Rows in file order; refuses unknown kinds, malformed codes, a pair given twice, and an
    /// old commune that is both whole and split.
    public static func parse(_ data: Data) throws(CSVFileError) -> [SuccessionRow] {
        let records = try CSVReader.records(data)
        guard let header = records.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let o = columns.firstIndex(of: "old_commune_code"), let n = columns.firstIndex(of: "new_commune_code"),
            let k = columns.firstIndex(of: "kind")
        else {
            throw CSVFileError(line: 1, reason: "the header must have the columns old_commune_code, new_commune_code and kind")
        }
        var rows: [SuccessionRow] = []
        var seen = Set<[String]>()
        var kindsOf: [String: Set<String>] = [:]
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            let row = SuccessionRow(
                oldCode: record.fields[o].trimmingCharacters(in: .whitespaces), newCode: record.fields[n].trimmingCharacters(in: .whitespaces),
                kind: record.fields[k].trimmingCharacters(in: .whitespaces), line: record.line)
            for (column, code) in [("old_commune_code", row.oldCode), ("new_commune_code", row.newCode)] {
                guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw CSVFileError(line: record.line, column: column, reason: "'\(code)' is not a 5-digit GSO commune code")
                }
            }
            guard kinds.contains(row.kind) else {
                throw CSVFileError(line: record.line, column: "kind", reason: "'\(row.kind)' is not one of whole, split, split-default")
            }
            guard seen.insert([row.oldCode, row.newCode]).inserted else {
                throw CSVFileError(line: record.line, reason: "\(row.oldCode) → \(row.newCode) is given twice")
            }
            kindsOf[row.oldCode, default: []].insert(row.kind == "whole" ? "whole" : "split")
            if kindsOf[row.oldCode]!.count > 1 {
                throw CSVFileError(line: record.line, reason: "\(row.oldCode) is both whole in one commune and split among others")
            }
            rows.append(row)
        }
        return rows
    }
}

/// Reads a confirmed grant proposal file: columns `grant_id` and `unit_code` (others ignored).
public enum GrantConfirmationCSV {
    /// The confirmed (grant id, unit code) pairs in file order.
    public static func parse(_ data: Data) throws(CSVFileError) -> [(grantID: Int64, unitCode: String)] {
        let records = try CSVReader.records(data)
        guard let header = records.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let g = columns.firstIndex(of: "grant_id"), let u = columns.firstIndex(of: "unit_code") else {
            throw CSVFileError(line: 1, reason: "the header must have the columns grant_id and unit_code")
        }
        var rows: [(grantID: Int64, unitCode: String)] = []
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            guard let id = Int64(record.fields[g].trimmingCharacters(in: .whitespaces)), id > 0 else {
                throw CSVFileError(line: record.line, column: "grant_id", reason: "'\(record.fields[g])' is not a grant id")
            }
            let code = record.fields[u].trimmingCharacters(in: .whitespaces)
            guard (2...7).contains(code.count), code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw CSVFileError(line: record.line, column: "unit_code", reason: "'\(code)' is not a GSO code")
            }
            rows.append((id, code))
        }
        return rows
    }
}

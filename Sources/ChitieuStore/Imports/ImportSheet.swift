public import ChitieuDomain
import ChitieuWorkbook
import Foundation

/// What a file imports: results, or targets of a phase.
public enum ImportKind: String, Sendable, Hashable, CaseIterable {
    case results, targets
}

/// A column of an import sheet: a stable key that files are read by, and the Vietnamese title
/// officers read. The header cell says both, `Mã đơn vị [unit_code]`; a file whose header has
/// only the title, or only the key, is read as well.
public struct ImportColumn: Sendable, Hashable {
    /// The key files are read by: `unit_code`, `breakdown.sex.nữ`.
    public var key: String
    /// The Vietnamese title.
    public var title: String

    /// A column.
    public init(key: String, title: String) {
        self.key = key
        self.title = title
    }

    /// The header cell's text.
    public var header: String { "\(title) [\(key)]" }

    // The columns of the files, by the keys the import reads.
    /// The unit's GSO code.
    public static let unitCode = ImportColumn(key: "unit_code", title: "Mã đơn vị")
    /// The unit's name (for people; not read).
    public static let unitName = ImportColumn(key: "unit_name", title: "Tên đơn vị")
    /// The indicator's code.
    public static let indicatorCode = ImportColumn(key: "indicator_code", title: "Mã chỉ tiêu")
    /// The indicator's name (for people; not read).
    public static let indicatorName = ImportColumn(key: "indicator_name", title: "Tên chỉ tiêu")
    /// The period's code: 2025, 2025-H1, 2025-Q3, 2025-07.
    public static let period = ImportColumn(key: "period", title: "Kỳ báo cáo")
    /// The count (a stock indicator's level at the end of the period).
    public static let value = ImportColumn(key: "value", title: "Giá trị")
    /// The companion figure (members, participants).
    public static let companionValue = ImportColumn(key: "companion_value", title: "Số liệu đi kèm")
    /// What supports the figure.
    public static let evidenceNote = ImportColumn(key: "evidence_note", title: "Ghi chú")
    /// A target's year (empty: the phase target).
    public static let year = ImportColumn(key: "year", title: "Năm")
    /// The target.
    public static let target = ImportColumn(key: "target", title: "Chỉ tiêu giao")

    /// A category of a breakdown of the count (`breakdown.sex.nữ`) or of the companion figure.
    public static func category(_ dimension: String, _ category: String, companion: Bool) -> ImportColumn {
        ImportColumn(
            key: "\(companion ? "companion_breakdown" : "breakdown").\(dimension).\(category)",
            title: "\(companion ? "Đi kèm – " : "")\(BreakdownDimension.label(dimension)): \(category)")
    }

    /// Columns every results file needs.
    static let resultsRequired: [ImportColumn] = [.unitCode, .indicatorCode, .period, .value]
    /// Columns every targets file needs.
    static let targetsRequired: [ImportColumn] = [.unitCode, .indicatorCode, .target]
    static let titled: [ImportColumn] = [.unitCode, .unitName, .indicatorCode, .indicatorName, .period, .value, .companionValue, .evidenceNote, .year, .target]
}

/// A problem with one row of an import: the sheet, the row and column, the field (a column key)
/// and the error, which names it in Vietnamese and in English.
public struct ImportProblem: Sendable, Hashable {
    public var sheet: String
    public var row: Int
    /// The column's letters, when the problem is in one cell.
    public var column: String?
    /// The column key (or the field of the rule).
    public var field: String
    public var error: ChitieuError

    public init(sheet: String, row: Int, column: String?, field: String, error: ChitieuError) {
        self.sheet = sheet
        self.row = row
        self.column = column
        self.field = field
        self.error = error
    }

    /// The message for an officer: `Dòng 12, cột F: Giá trị phải là số nguyên…`.
    public func message(in language: Language) -> String {
        let place = language == .vi
            ? "Dòng \(row)" + (column.map { ", cột \($0)" } ?? "")
            : "Row \(row)" + (column.map { ", column \($0)" } ?? "")
        return "\(place): \(error.message(in: language))"
    }
}

/// The rows of an uploaded sheet, read by the keys of its header row.
struct ImportSheet {
    var name: String
    /// Column key → 0-based index.
    var columns: [String: Int]
    /// The data rows (the header row and blank rows left out).
    var rows: [SheetRow]

    /// The sheet's header read, or the error that names the missing columns.
    init(_ table: SheetTable, required: [ImportColumn]) throws {
        name = table.name
        guard let headerIndex = table.rows.firstIndex(where: { !$0.isBlank }) else {
            throw ChitieuError(.invalid, field: "file", .importNoHeader)
        }
        let header = table.rows[headerIndex]
        var columns: [String: Int] = [:]
        for (index, cell) in header.cells.enumerated() {
            if let key = Self.key(of: cell.text), columns[key] == nil { columns[key] = index }
        }
        let missing = required.filter { columns[$0.key] == nil }
        guard missing.isEmpty else {
            throw ChitieuError(.invalid, field: "file", .importMissingColumns, ["columns": .text(missing.map(\.header).joined(separator: ", "))])
        }
        self.columns = columns
        rows = table.rows[(headerIndex + 1)...].filter { !$0.isBlank }
    }

    /// The key a header cell names: the text in its last brackets, a known title, or the text itself.
    static func key(of text: String) -> String? {
        let trimmed = Names.normalized(text)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasSuffix("]"), let open = trimmed.lastIndex(of: "[") {
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            let key = Names.normalized(String(inner))
            return key.isEmpty ? nil : key
        }
        if let known = ImportColumn.titled.first(where: { $0.title.lowercased() == trimmed.lowercased() }) { return known.key }
        return trimmed
    }

    /// The cell of a column in a row (empty when the file has no such column).
    func cell(_ row: SheetRow, _ key: String) -> CellValue {
        columns[key].map { row[$0] } ?? .empty
    }

    /// The column letters of a key.
    func letter(_ key: String) -> String? {
        columns[key].map(SheetTable.columnName)
    }

    /// A problem at a row, placed in the column of `field` (or of its first column, for a field
    /// that names a rule over several, such as the sum of a breakdown).
    func problem(_ row: SheetRow, field: String, _ error: ChitieuError) -> ImportProblem {
        let column = letter(field) ?? columns.filter { $0.key.hasPrefix(field + ".") }.map(\.value).min().map(SheetTable.columnName)
        return ImportProblem(sheet: name, row: row.number, column: column, field: field, error: error)
    }

    /// The breakdown columns of a kind (`breakdown` or `companion_breakdown`): dimension → category → key.
    func categories(_ prefix: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for key in columns.keys where key.hasPrefix(prefix + ".") {
            let parts = key.dropFirst(prefix.count + 1).split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            out[parts[0], default: [:]][parts[1]] = key
        }
        return out
    }

    /// A whole number from 0 to `maximum` in a cell: a number, or text such as `12` or `3.816`.
    static func count(_ cell: CellValue, field: String, maximum: Int) throws -> Int? {
        switch cell {
        case .empty: return nil
        case .number(let raw):
            if let n = Int(raw), (0...maximum).contains(n) { return n }
            if let d = Double(raw), d.isFinite, d.rounded() == d, d >= 0, d <= Double(maximum) { return Int(d) }
            throw ChitieuError.wholeNumber(field, maximum: maximum)
        case .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            let groups = trimmed.split(separator: ".", omittingEmptySubsequences: false)
            let digits = groups.count > 1 && groups.dropFirst().allSatisfy({ $0.count == 3 }) && (1...3).contains(groups[0].count)
                ? groups.joined() : trimmed
            guard digits.allSatisfy(\.isASCII), let n = Int(digits), (0...maximum).contains(n) else {
                throw ChitieuError.wholeNumber(field, maximum: maximum)
            }
            return n
        case .boolean, .date:
            throw ChitieuError.wholeNumber(field, maximum: maximum)
        }
    }
}

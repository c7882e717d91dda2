public import Foundation

/// A value read from a cell of an uploaded sheet: what Excel shows, with formulas read as the
/// value Excel last computed for them.
public enum CellValue: Sendable, Hashable {
    case text(String)
    /// A number as the file writes it (`12`, `12.5`, `1E3`); its text keeps integers exact.
    case number(String)
    case boolean(Bool)
    /// A day: a number cell with a date format in an xlsx.
    case date(year: Int, month: Int, day: Int)
    case empty

    /// The value as text: numbers as the file writes them (`12`, not `12.0`), days as `YYYY-MM-DD`.
    public var text: String {
        switch self {
        case .text(let text): text
        case .number(let raw): Self.plain(raw)
        case .boolean(let flag): flag ? "TRUE" : "FALSE"
        case .date(let y, let m, let d): String(format: "%04d-%02d-%02d", y, m, d)
        case .empty: ""
        }
    }

    /// Whether the cell holds nothing (or only spaces).
    public var isBlank: Bool {
        switch self {
        case .empty: true
        case .text(let text): text.allSatisfy(\.isWhitespace)
        default: false
        }
    }

    /// `12.0` as `12`, `1E3` as `1000`; anything else as written.
    static func plain(_ raw: String) -> String {
        if let int = Int(raw) { return String(int) }
        if let double = Double(raw), double.isFinite, double.rounded() == double, abs(double) < 1e15 { return String(Int(double)) }
        return raw
    }
}

/// One row of a sheet: its number in the file (1 is the first row) and its cells from column A,
/// empty cells kept where the file has gaps.
public struct SheetRow: Sendable, Hashable {
    public var number: Int
    public var cells: [CellValue]

    public init(number: Int, cells: [CellValue]) {
        self.number = number
        self.cells = cells
    }

    /// The cell in a 0-based column, empty beyond the row's last cell.
    public subscript(column: Int) -> CellValue {
        column < cells.count ? cells[column] : .empty
    }

    /// Whether every cell is blank.
    public var isBlank: Bool { cells.allSatisfy(\.isBlank) }
}

/// A sheet as read from an .xlsx or a CSV file: its name and its rows, the header first.
public struct SheetTable: Sendable, Hashable {
    public var name: String
    public var rows: [SheetRow]

    public init(name: String, rows: [SheetRow]) {
        self.name = name
        self.rows = rows
    }

    /// Column letters of a 0-based index: 0 → A, 26 → AA.
    public static func columnName(_ index: Int) -> String {
        Workbook.column(index)
    }

    /// The 0-based column and 1-based row of a reference such as `B12` (`$B$12` too), or nil.
    public static func reference(_ text: some StringProtocol) -> (column: Int, row: Int)? {
        var column = 0
        var row = 0
        var letters = 0
        var digits = 0
        for scalar in text.unicodeScalars where scalar != "$" {
            switch scalar.value {
            case 65...90 where digits == 0:
                column = column * 26 + Int(scalar.value - 64)
                letters += 1
            case 97...122 where digits == 0:
                column = column * 26 + Int(scalar.value - 96)
                letters += 1
            case 48...57 where letters > 0:
                row = row * 10 + Int(scalar.value - 48)
                digits += 1
            default: return nil
            }
            if letters > 3 || digits > 7 { return nil }
        }
        guard letters > 0, digits > 0, row > 0 else { return nil }
        return (column - 1, row)
    }
}

/// Why an uploaded file cannot be read.
public struct WorkbookReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable, Hashable {
        /// Neither an .xlsx workbook nor a UTF-8 CSV file.
        case notAWorkbook = "not_a_workbook"
        /// More bytes than the limit.
        case tooLarge = "too_large"
        /// More rows than the limit.
        case tooManyRows = "too_many_rows"
        /// The sheet asked for is not in the workbook.
        case noSuchSheet = "no_such_sheet"
    }

    public var kind: Kind
    /// What was wrong, in English.
    public var reason: String
    /// The limit passed (bytes or rows), or the sheet's name, for the message.
    public var detail: String

    public init(_ kind: Kind, reason: String, detail: String = "") {
        self.kind = kind
        self.reason = reason
        self.detail = detail
    }

    public var description: String { reason }
}

public import ChitieuDomain
import ChitieuWorkbook
import Foundation

/// What an import did, or in a dry run would do: the rows read, how many it records and how many
/// it leaves because an earlier import recorded them already, and the problems by row. With a
/// problem, nothing is written.
public struct ImportReport: Sendable, Hashable {
    public var kind: ImportKind
    public var dryRun: Bool
    /// The sheet read.
    public var sheet: String
    /// Rows with data (the header and blank rows aside).
    public var rows: Int
    /// Rows recorded (in a dry run: that would be).
    public var recorded: Int
    /// Rows equal to what is stored: left as they are.
    public var unchanged: Int
    /// The problems, by row: one per row, the first a single submission would meet.
    public var problems: [ImportProblem]

    public init(kind: ImportKind, dryRun: Bool, sheet: String, rows: Int, recorded: Int, unchanged: Int, problems: [ImportProblem]) {
        self.kind = kind
        self.dryRun = dryRun
        self.sheet = sheet
        self.rows = rows
        self.recorded = recorded
        self.unchanged = unchanged
        self.problems = problems
    }

    /// Whether the file was taken (or, in a dry run, would be).
    public var accepted: Bool { problems.isEmpty }

    /// The rows with a problem.
    public var problemRows: [Int] { problems.map(\.row) }
}

/// How an uploaded file becomes a sheet: the reader's limits turned into the errors officers read.
enum ImportFile {
    /// The sheet of a file, or the error that says why the file cannot be read.
    static func table(_ data: Data, reader: WorkbookReader) throws -> SheetTable {
        do {
            return try reader.read(data)
        } catch {
            switch error.kind {
            case .tooLarge:
                throw ChitieuError(.invalid, field: "file", .fileTooLarge, ["maximum": .count(reader.maximumBytes)])
            case .tooManyRows:
                throw ChitieuError(.invalid, field: "file", .tooManyRows, ["maximum": .count(reader.maximumRows)])
            case .noSuchSheet:
                throw ChitieuError(.invalid, field: "sheet", .noSuchSheet, ["name": .text(error.detail)])
            case .notAWorkbook:
                throw ChitieuError(.invalid, field: "file", .notAWorkbook)
            }
        }
    }

    /// Problems in row order, one per row (the first found).
    static func sorted(_ problems: [ImportProblem]) -> [ImportProblem] {
        var seen: Set<Int> = []
        return problems.sorted { $0.row < $1.row }.filter { seen.insert($0.row).inserted }
    }
}

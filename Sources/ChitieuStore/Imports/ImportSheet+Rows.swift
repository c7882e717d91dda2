import ChitieuDomain
import ChitieuWorkbook
import Foundation

/// A results row as read from the file: what one submission would send, its unit and indicator
/// still named by code.
struct ResultImportRow {
    var row: SheetRow
    var unitCode: String
    var indicatorCode: String
    var period: ReportingPeriod
    var figures: ResultFigures
}

/// A targets row as read: a unit's target of an indicator for a year of the phase (nil: the phase).
struct TargetImportRow {
    var row: SheetRow
    var unitCode: String
    var indicatorCode: String
    var year: Int?
    var value: Int
}

extension ImportSheet {
    /// A code in a cell (a number such as `2959` is read as written).
    func code(_ row: SheetRow, _ column: ImportColumn) throws -> String {
        let text = Names.normalized(cell(row, column.key).text)
        guard !text.isEmpty else { throw ChitieuError(.invalid, field: column.key, .required) }
        return text
    }

    /// The results rows and the problems of the rows that cannot be read. A row with no value
    /// and nothing else filled in is a unit that did not report: it is left out.
    func resultRows() -> (rows: [ResultImportRow], problems: [ImportProblem]) {
        let breakdowns = categories("breakdown")
        let companionBreakdowns = categories("companion_breakdown")
        return each { try resultRow($0, breakdowns: breakdowns, companionBreakdowns: companionBreakdowns) }
    }

    /// Each data row read by `read` (nil: left out), or the problem that stopped it.
    func each<Row>(_ read: (SheetRow) throws -> Row?) -> (rows: [Row], problems: [ImportProblem]) {
        var rows: [Row] = []
        var problems: [ImportProblem] = []
        for row in self.rows {
            do {
                if let read = try read(row) { rows.append(read) }
            } catch let error as ChitieuError {
                problems.append(problem(row, field: error.field ?? "", error))
            } catch {
                problems.append(problem(row, field: "", ChitieuError(.invalid, field: nil, reason: "\(error)")))
            }
        }
        return (rows, problems)
    }

    func resultRow(
        _ row: SheetRow, breakdowns: [String: [String: String]], companionBreakdowns: [String: [String: String]]
    ) throws -> ResultImportRow? {
        let maximum = ResultRules.maximumValue
        let value = try Self.count(cell(row, ImportColumn.value.key), field: ImportColumn.value.key, maximum: maximum)
        let companion = try Self.count(cell(row, ImportColumn.companionValue.key), field: ImportColumn.companionValue.key, maximum: maximum)
        let breakdown = try figures(row, breakdowns)
        let companionBreakdown = try figures(row, companionBreakdowns)
        let note = cell(row, ImportColumn.evidenceNote.key).text
        guard let value else {
            if companion == nil && breakdown == nil && companionBreakdown == nil && note.allSatisfy(\.isWhitespace) { return nil }
            throw ChitieuError(.invalid, field: ImportColumn.value.key, .required)
        }
        return ResultImportRow(
            row: row, unitCode: try code(row, .unitCode), indicatorCode: try code(row, .indicatorCode), period: try period(row),
            figures: ResultFigures(
                value: value, breakdown: breakdown, companionValue: companion, companionBreakdown: companionBreakdown,
                evidenceNote: note.isEmpty ? nil : note))
    }

    /// The breakdown the row gives: every dimension with a category filled in, with the
    /// categories filled in (a missing one is then the rule's error, naming it).
    func figures(_ row: SheetRow, _ columns: [String: [String: String]]) throws -> [String: [String: Int]]? {
        var out: [String: [String: Int]] = [:]
        for (dimension, categories) in columns {
            var counts: [String: Int] = [:]
            for (category, key) in categories {
                if let n = try Self.count(cell(row, key), field: key, maximum: ResultRules.maximumValue) { counts[category] = n }
            }
            if !counts.isEmpty { out[dimension] = counts }
        }
        return out.isEmpty ? nil : out
    }

    /// The period of a row: a code (`2025-Q3`), or a year written as a number.
    func period(_ row: SheetRow) throws -> ReportingPeriod {
        let text = cell(row, ImportColumn.period.key).text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw ChitieuError(.invalid, field: ImportColumn.period.key, .required) }
        guard let period = ReportingPeriod(code: text.uppercased()) else {
            throw ChitieuError(.invalid, field: ImportColumn.period.key, .importPeriod, ["value": .text(String(text.prefix(40)))])
        }
        return period
    }

    /// The targets rows and the problems of the rows that cannot be read; a row without a
    /// target is left out.
    func targetRows() -> (rows: [TargetImportRow], problems: [ImportProblem]) {
        each { row in
            let key = ImportColumn.target.key
            guard let value = try Self.count(cell(row, key), field: key, maximum: TargetStore.maximumValue) else { return nil }
            let year = try Self.count(cell(row, ImportColumn.year.key), field: ImportColumn.year.key, maximum: 2100)
            return TargetImportRow(row: row, unitCode: try code(row, .unitCode), indicatorCode: try code(row, .indicatorCode), year: year, value: value)
        }
    }
}

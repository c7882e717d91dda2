public import Foundation

/// Reads unit attributes: a CSV with columns `unit_code,name,value` (value a decimal ≥ 0),
/// e.g. `02959,population,4210`.
public enum UnitAttributesCSV {
    /// Rows in file order.
    public static func parse(_ data: Data) throws(CSVFileError) -> [(code: String, name: String, value: Decimal)] {
        let records = try CSVReader.records(data)
        guard let header = records.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let c = columns.firstIndex(of: "unit_code"), let n = columns.firstIndex(of: "name"), let v = columns.firstIndex(of: "value") else {
            throw CSVFileError(line: 1, reason: "the header must have the columns unit_code, name and value")
        }
        var rows: [(code: String, name: String, value: Decimal)] = []
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            let text = record.fields[v].trimmingCharacters(in: .whitespaces)
            guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw CSVFileError(line: record.line, column: "value", reason: "'\(text)' is not a number of 0 or more")
            }
            rows.append((record.fields[c].trimmingCharacters(in: .whitespaces), record.fields[n].trimmingCharacters(in: .whitespaces), value))
        }
        return rows
    }
}

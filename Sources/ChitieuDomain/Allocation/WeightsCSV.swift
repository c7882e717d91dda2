public import Foundation

/// Reads explicit allocation weights: a CSV with columns `unit_code,weight` (whole numbers from
/// 0 to `maximumWeight`).
public enum WeightsCSV {
    /// The largest weight a rule takes (as the API).
    public static let maximumWeight: Int64 = 1_000_000_000

    /// Weights by unit code.
    public static func parse(_ data: Data) throws(CSVFileError) -> [String: Int64] {
        let records = try CSVReader.records(data)
        guard let header = records.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let codeIndex = columns.firstIndex(of: "unit_code"), let weightIndex = columns.firstIndex(of: "weight") else {
            throw CSVFileError(line: 1, reason: "the header must have the columns unit_code and weight")
        }
        var weights: [String: Int64] = [:]
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            let code = record.fields[codeIndex].trimmingCharacters(in: .whitespaces)
            let text = record.fields[weightIndex].trimmingCharacters(in: .whitespaces)
            guard let weight = Int64(text), (0...maximumWeight).contains(weight) else {
                throw CSVFileError(line: record.line, column: "weight", reason: "'\(text)' is not a whole number from 0 to \(maximumWeight)")
            }
            guard weights.updateValue(weight, forKey: code) == nil else {
                throw CSVFileError(line: record.line, column: "unit_code", reason: "'\(code)' appears twice")
            }
        }
        return weights
    }
}

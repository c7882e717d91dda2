public import Foundation

/// One row of an indicator catalogue file.
public struct CatalogueRow: Sendable {
    /// The indicator.
    public var draft: IndicatorDraft
    /// Suspended from this date (YYYY-MM-DD), if the catalogue says so.
    public var suspendedFrom: String?
    /// Why it was suspended.
    public var suspendedReason: String?
    /// The line it was read from.
    public var line: Int
}

/// Reads an indicator catalogue (CSV with a header):
/// `code,name,name_en,measure_unit,kind,reporting_levels,disaggregation,companion_measure,companion_disaggregation,`
/// `national_code,suspended_from,suspended_reason` (only the first five are required).
/// `reporting_levels` is a comma list inside quotes ("district,commune"); `disaggregation` (of the
/// count) and `companion_disaggregation` (of the companion figure) are `sex=nữ|nam;ethnicity=DTTS|Kinh`.
/// Every row is checked; the first problem refuses the file.
public enum IndicatorCatalogueCSV {
    static let required = ["code", "name", "measure_unit", "kind"]

    /// Parses and checks a file's bytes.
    public static func parse(_ data: Data) throws(CSVFileError) -> [CatalogueRow] {
        let records = try CSVReader.records(data)
        guard let header = records.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        var index: [String: Int] = [:]
        for (i, name) in header.fields.enumerated() { index[name.trimmingCharacters(in: .whitespaces)] = i }
        for name in required where index[name] == nil {
            throw CSVFileError(line: 1, column: name, reason: "the header has no column '\(name)'")
        }
        var rows: [CatalogueRow] = []
        var codes: [String: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == header.fields.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(header.fields.count)")
            }
            func field(_ name: String) -> String? {
                guard let i = index[name] else { return nil }
                let value = record.fields[i].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            guard let kindText = field("kind"), let kind = IndicatorKind(rawValue: kindText) else {
                throw CSVFileError(line: record.line, column: "kind", reason: "'\(field("kind") ?? "")' is neither flow nor stock")
            }
            let levels = try field("reporting_levels").map { (text) throws(CSVFileError) -> [UnitLevel] in
                guard let levels = UnitLevel.parseList(text) else {
                    throw CSVFileError(line: record.line, column: "reporting_levels", reason: "'\(text)' is not a list of province, district, commune, village")
                }
                return levels
            } ?? [.commune]
            func disaggregation(_ column: String) throws(CSVFileError) -> [String: [String]]? {
                guard let text = field(column) else { return nil }
                guard let d = parseDisaggregation(text) else {
                    throw CSVFileError(line: record.line, column: column, reason: "'\(text)' is not of the form dimension=a|b;other=c|d")
                }
                return d
            }
            let draft = IndicatorDraft(
                code: field("code") ?? "", name: field("name") ?? "", nameEnglish: field("name_en"),
                measureUnit: field("measure_unit") ?? "", kind: kind, reportingLevels: levels, disaggregation: try disaggregation("disaggregation"),
                companionMeasure: field("companion_measure"), companionDisaggregation: try disaggregation("companion_disaggregation"),
                nationalCode: field("national_code"))
            if let (column, reason) = draft.problem() {
                throw CSVFileError(line: record.line, column: column, reason: reason)
            }
            if let earlier = codes[draft.code] {
                throw CSVFileError(line: record.line, column: "code", reason: "'\(draft.code)' appears on line \(earlier) already")
            }
            codes[draft.code] = record.line
            let from = field("suspended_from"), reason = field("suspended_reason")
            if (from == nil) != (reason == nil) {
                throw CSVFileError(line: record.line, column: "suspended_reason", reason: "a suspension needs both suspended_from and suspended_reason")
            }
            rows.append(CatalogueRow(draft: draft, suspendedFrom: from, suspendedReason: reason.map(Names.normalized), line: record.line))
        }
        guard !rows.isEmpty else { throw CSVFileError(line: 0, reason: "the catalogue has no indicators") }
        return rows
    }
}

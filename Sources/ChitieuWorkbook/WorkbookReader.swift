import CSV
public import Foundation
import XMLCoder
import ZIPFoundation

/// Reads one sheet of an uploaded file: an .xlsx workbook (the first sheet, or one by name) or
/// a CSV file (UTF-8, with or without a byte order mark, comma- or semicolon-separated).
/// Shared and inline strings, numbers, booleans and days are read as values; a formula is read
/// as the value Excel last computed for it. Files over the limits are refused before they are read.
public struct WorkbookReader: Sendable {
    /// The largest file accepted, in bytes.
    public var maximumBytes: Int
    /// The most rows accepted, the header included.
    public var maximumRows: Int

    /// A reader with limits: by default 10 MB and 50,000 rows.
    public init(maximumBytes: Int = 10 << 20, maximumRows: Int = 50_000) {
        self.maximumBytes = maximumBytes
        self.maximumRows = maximumRows
    }

    /// The kind of a file, from its first bytes.
    public enum Format: String, Sendable {
        case xlsx, csv
    }

    /// An xlsx is a ZIP archive; anything else is read as CSV.
    public static func format(of data: Data) -> Format {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04]) ? .xlsx : .csv
    }

    /// The sheet `sheet` (the first when nil) of a workbook, or the rows of a CSV file.
    public func read(_ data: Data, sheet: String? = nil) throws(WorkbookReadError) -> SheetTable {
        guard data.count <= maximumBytes else {
            throw WorkbookReadError(.tooLarge, reason: "the file is larger than \(maximumBytes) bytes", detail: String(maximumBytes))
        }
        let table: SheetTable
        switch Self.format(of: data) {
        case .xlsx: table = try readWorkbook(data, sheet: sheet)
        case .csv: table = try readCSV(data)
        }
        return table
    }

    func tooManyRows() -> WorkbookReadError {
        WorkbookReadError(.tooManyRows, reason: "the file has more than \(maximumRows) rows", detail: String(maximumRows))
    }

    static func notAWorkbook(_ why: String) -> WorkbookReadError {
        WorkbookReadError(.notAWorkbook, reason: "the file is not an .xlsx workbook or a UTF-8 CSV file (\(why))")
    }

    // MARK: CSV

    func readCSV(_ data: Data) throws(WorkbookReadError) -> SheetTable {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard !bytes.contains(0), let text = String(data: bytes, encoding: .utf8) else { throw Self.notAWorkbook("its bytes are not UTF-8 text") }
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        let delimiter: UnicodeScalar = firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count ? ";" : ","
        let reader: CSVReader
        do { reader = try CSVReader(string: text, delimiter: delimiter) } catch { throw Self.notAWorkbook("\(error)") }
        var rows: [SheetRow] = []
        while let fields = reader.next() {
            guard rows.count < maximumRows else { throw tooManyRows() }
            rows.append(SheetRow(number: rows.count + 1, cells: fields.map { $0.isEmpty ? .empty : .text($0) }))
        }
        if let error = reader.error { throw Self.notAWorkbook("\(error)") }
        return SheetTable(name: "CSV", rows: rows)
    }

    // MARK: xlsx

    func readWorkbook(_ data: Data, sheet wanted: String?) throws(WorkbookReadError) -> SheetTable {
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch { throw Self.notAWorkbook("it is not a ZIP archive") }
        do {
            let workbook = try decode(WorkbookPart.self, "xl/workbook.xml", in: archive)
            let sheets = workbook.sheets?.sheet ?? []
            guard let chosen = wanted.map({ name in sheets.first { $0.name == name } }) ?? sheets.first else {
                throw WorkbookReadError(.noSuchSheet, reason: "the workbook has no sheet '\(wanted ?? "")'", detail: wanted ?? "")
            }
            let links = try decode(RelationshipsPart.self, "xl/_rels/workbook.xml.rels", in: archive).links ?? []
            guard let target = links.first(where: { $0.id == chosen.relationship })?.target else {
                throw Self.notAWorkbook("the sheet '\(chosen.name)' has no part")
            }
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            let strings = try archive["xl/sharedStrings.xml"] == nil
                ? [] : (decode(SharedStringsPart.self, "xl/sharedStrings.xml", in: archive).si ?? []).map(\.text)
            let dates = try archive["xl/styles.xml"] == nil ? [] : decode(StylesPart.self, "xl/styles.xml", in: archive).dateStyles
            let worksheet = try decode(WorksheetPart.self, path, in: archive)
            return SheetTable(name: chosen.name, rows: try rows(of: worksheet, strings: strings, dateStyles: dates))
        } catch let error as WorkbookReadError {
            throw error
        } catch {
            throw Self.notAWorkbook("\(error)")
        }
    }

    /// A part of the archive, decoded.
    func decode<T: Decodable>(_ type: T.Type, _ path: String, in archive: Archive) throws -> T {
        guard let entry = archive[path] else { throw Self.notAWorkbook("it has no \(path)") }
        var bytes = Data()
        _ = try archive.extract(entry, skipCRC32: true) { bytes.append($0) }
        guard bytes.count <= maximumBytes * 20 else {
            throw WorkbookReadError(.tooLarge, reason: "the workbook unpacks to more than \(maximumBytes * 20) bytes", detail: String(maximumBytes))
        }
        // Text keeps its spaces (`Xã ` and `A Mú Sung` in two runs, `a &amp; b`); the spaces that
        // indent elements are dropped.
        let decoder = XMLDecoder(trimValueWhitespaces: false, removeWhitespaceElements: true)
        decoder.shouldProcessNamespaces = true
        return try decoder.decode(T.self, from: bytes)
    }

    /// The worksheet's rows, numbered as the file numbers them, cells placed by their references.
    func rows(of worksheet: WorksheetPart, strings: [String], dateStyles: [Bool]) throws -> [SheetRow] {
        var rows: [SheetRow] = []
        var lastRow = 0
        for row in worksheet.sheetData?.row ?? [] {
            let number = row.r ?? lastRow + 1
            lastRow = number
            guard number <= maximumRows else { throw tooManyRows() }
            var cells: [CellValue] = []
            for cell in row.c ?? [] {
                let column = cell.r.flatMap { SheetTable.reference($0)?.column } ?? cells.count
                guard column < 16_384 else { continue }
                let value = Self.value(of: cell, strings: strings, dateStyles: dateStyles)
                if column >= cells.count { cells.append(contentsOf: repeatElement(CellValue.empty, count: column - cells.count + 1)) }
                cells[column] = value
            }
            while cells.last?.isBlank == true { cells.removeLast() }
            rows.append(SheetRow(number: number, cells: cells))
        }
        return rows
    }

    static func value(of cell: WorksheetPart.Cell, strings: [String], dateStyles: [Bool]) -> CellValue {
        let raw = cell.v?.value
        switch cell.t {
        case "s":
            guard let index = raw.flatMap({ Int($0) }), strings.indices.contains(index) else { return .empty }
            return .text(strings[index])
        case "inlineStr":
            return cell.is.map { .text($0.text) } ?? .empty
        case "str", "e":
            return raw.map(CellValue.text) ?? .empty
        case "b":
            return raw.map { .boolean($0 == "1" || $0.lowercased() == "true") } ?? .empty
        default:
            guard let raw, !raw.isEmpty else { return .empty }
            if let style = cell.s, dateStyles.indices.contains(style), dateStyles[style], let serial = Double(raw), let day = day(serial) {
                return day
            }
            return .number(raw)
        }
    }

    /// A day from an Excel serial number (days since 30 December 1899 in the 1900 date system,
    /// which Excel counts from serial 61 on; earlier days do not occur in reports).
    static func day(_ serial: Double) -> CellValue? {
        guard serial >= 61, serial < 2_958_466 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: (serial.rounded(.down) - 25_569) * 86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        return .date(year: year, month: month, day: day)
    }
}

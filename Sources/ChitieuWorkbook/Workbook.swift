public import Foundation
import ZIPFoundation

/// A cell of a sheet: text or a number (numbers stay numbers in Excel).
public enum Cell: Sendable, Hashable {
    case text(String)
    case number(Double)
    case integer(Int)
    case empty
}

/// An Office Open XML workbook (.xlsx): sheets of rows under a bold header row, inline strings
/// (no shared-string table), written as a deflate-compressed ZIP archive. A sheet may carry a
/// layout for print: a title block, column widths and number formats, borders, merged bands,
/// a footer and an A4 page setup (`Sheet`'s optional values).
public struct Workbook: Sendable {
    /// One sheet: a header row and the rows below it, with how it is laid out.
    public struct Sheet: Sendable {
        public var name: String
        public var header: [String]
        public var rows: [[Cell]]
        /// Lines above the table, each merged across its width (a report's title block).
        public var title: [Line]
        /// Lines below the table, each merged across its width.
        public var footer: [Line]
        /// Per column, from the first: width and the format of its figures. Columns not listed
        /// keep Excel's width and show numbers as they are.
        public var columns: [Column]
        /// Indices into `rows` of band rows: their first cell, bold, merged across the table
        /// (a group's heading, such as a district's name).
        public var bands: Set<Int>
        /// Thin borders around every cell of the table (header included).
        public var borders: Bool
        /// The header row (and what is above it) stays in view when scrolling.
        public var freezeHeader: Bool
        /// How the sheet prints; nil: the reader's defaults.
        public var page: PageSetup?

        public init(
            name: String, header: [String], rows: [[Cell]], title: [Line] = [], footer: [Line] = [], columns: [Column] = [],
            bands: Set<Int> = [], borders: Bool = false, freezeHeader: Bool = true, page: PageSetup? = nil
        ) {
            self.name = name
            self.header = header
            self.rows = rows
            self.title = title
            self.footer = footer
            self.columns = columns
            self.bands = bands
            self.borders = borders
            self.freezeHeader = freezeHeader
            self.page = page
        }

        /// The row number (1-based) of the header: below the title block and its blank line.
        var headerRow: Int { title.isEmpty ? 1 : title.count + 2 }
        /// How many columns the table spans (at least one).
        var width: Int { max(1, header.count, rows.map(\.count).max() ?? 0) }
    }

    /// A line of a title block or footer.
    public struct Line: Sendable, Hashable {
        /// How a line is set.
        public enum Emphasis: Sendable, Hashable {
            /// Large and bold, centred: the report's name.
            case heading
            /// Bold, centred.
            case strong
            /// Regular, centred.
            case plain
            /// Italic, centred (a date line).
            case italic
            /// Bold, from the left (a total under the table).
            case summary
        }

        public var text: String
        public var emphasis: Emphasis

        public init(_ text: String, _ emphasis: Emphasis = .plain) {
            self.text = text
            self.emphasis = emphasis
        }
    }

    /// A column's width and the format of its figures.
    public struct Column: Sendable, Hashable {
        /// How the column's cells read.
        public enum Format: Sendable, Hashable {
            /// Numbers as they are; text as it is.
            case general
            /// Whole numbers with thousands separators (`#,##0`).
            case integer
            /// A fraction shown as a percentage with one decimal (`0.0%`: 0.861 → 86.1%).
            case percent
        }

        /// Width in characters of the default font; nil: Excel's.
        public var width: Double?
        public var format: Format
        /// Long text wraps within the cell.
        public var wrap: Bool

        public init(width: Double? = nil, format: Format = .general, wrap: Bool = false) {
            self.width = width
            self.format = format
            self.wrap = wrap
        }
    }

    /// How a sheet prints.
    public struct PageSetup: Sendable, Hashable {
        /// Portrait or landscape.
        public enum Orientation: String, Sendable, Hashable {
            case portrait, landscape
        }

        public var orientation: Orientation
        /// Excel's paper code: 9 is A4.
        public var paperSize: Int
        /// Scaled down so that every column fits the page's width (as many pages tall as needed).
        public var fitToWidth: Bool
        /// The header row printed again at the top of every page.
        public var repeatHeader: Bool

        public init(orientation: Orientation, paperSize: Int = 9, fitToWidth: Bool = true, repeatHeader: Bool = true) {
            self.orientation = orientation
            self.paperSize = paperSize
            self.fitToWidth = fitToWidth
            self.repeatHeader = repeatHeader
        }

        /// A4 landscape, fitted to the width, the header repeated on every page.
        public static let a4Landscape = PageSetup(orientation: .landscape)
    }

    public var sheets: [Sheet]

    public init(sheets: [Sheet]) {
        self.sheets = sheets
    }

    /// The .xlsx file's bytes: the parts deflated into a ZIP archive in memory.
    public func data() -> Data {
        do {
            return try archive()
        } catch {
            // Nothing here reads a file: an in-memory archive fails only if memory does.
            preconditionFailure("writing a workbook in memory failed: \(error)")
        }
    }

    /// The parts of the package, in order: path and content.
    func parts() -> [(String, Data)] {
        let names = Self.sheetNames(sheets)
        var styles = StyleTable()
        var sheetParts: [(String, Data)] = []
        for (i, sheet) in sheets.enumerated() {
            sheetParts.append(("xl/worksheets/sheet\(i + 1).xml", Data(Self.sheetXML(sheet, styles: &styles).utf8)))
        }
        let texts: [(String, String)] = [
            ("[Content_Types].xml", Self.contentTypes(sheetCount: sheets.count)),
            ("_rels/.rels", Self.packageRelationships),
            ("xl/workbook.xml", workbookXML(names: names)),
            ("xl/_rels/workbook.xml.rels", Self.workbookRelationships(sheetCount: sheets.count)),
            ("xl/styles.xml", styles.xml),
        ]
        return texts.map { ($0.0, Data($0.1.utf8)) } + sheetParts
    }

    /// Every part deflated, with one fixed date: the same workbook gives the same bytes.
    func archive() throws -> Data {
        let archive = try Archive(accessMode: .create)
        let date = Date(timeIntervalSince1970: 946_684_800)
        for (path, content) in parts() {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(content.count), modificationDate: date, compressionMethod: .deflate
            ) { position, size in
                content.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }
}

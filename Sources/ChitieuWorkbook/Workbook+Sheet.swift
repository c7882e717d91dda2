import Foundation

/// A worksheet part: the title block, the table, the footer, and how it shows and prints.
extension Workbook {
    /// Writes cells row by row, each with the index of its style.
    struct SheetWriter {
        var xml = ""
        var merges: [String] = []
        let width: Int

        mutating func row(_ number: Int, _ cells: [(Cell, Int)], height: Double? = nil) {
            xml += "<row r=\"\(number)\"" + (height.map { " ht=\"\($0)\" customHeight=\"1\"" } ?? "") + ">"
            for (i, (cell, style)) in cells.enumerated() {
                let ref = "\(Workbook.column(i))\(number)"
                let s = style > 0 ? " s=\"\(style)\"" : ""
                switch cell {
                case .text(let t): xml += "<c r=\"\(ref)\" t=\"inlineStr\"\(s)><is><t xml:space=\"preserve\">\(Workbook.escape(t))</t></is></c>"
                case .integer(let v): xml += "<c r=\"\(ref)\"\(s)><v>\(v)</v></c>"
                case .number(let v) where v.isFinite: xml += "<c r=\"\(ref)\"\(s)><v>\(v)</v></c>"
                case .number, .empty: if style > 0 { xml += "<c r=\"\(ref)\"\(s)/>" }
                }
            }
            xml += "</row>"
        }

        /// A row of one text merged across the table's width.
        mutating func merged(_ number: Int, _ text: String, style: Int, rest: Int = 0, height: Double? = nil) {
            let cells = [(Cell.text(text), style)] + Array(repeating: (Cell.empty, rest), count: width - 1)
            row(number, cells, height: height)
            if width > 1 { merges.append("A\(number):\(Workbook.column(width - 1))\(number)") }
        }
    }

    static func lineStyle(_ emphasis: Line.Emphasis) -> StyleTable.CellStyle {
        switch emphasis {
        case .heading: StyleTable.CellStyle(font: .heading, horizontal: "center", vertical: "center")
        case .strong: StyleTable.CellStyle(font: .bold, horizontal: "center")
        case .plain: StyleTable.CellStyle(horizontal: "center")
        case .italic: StyleTable.CellStyle(font: .italic, horizontal: "center")
        case .summary: StyleTable.CellStyle(font: .bold, horizontal: "left")
        }
    }

    /// The style of a table cell: its column's format and wrapping, bordered if the sheet is.
    static func bodyStyle(_ cell: Cell, column: Column?, borders: Bool) -> StyleTable.CellStyle {
        var style = StyleTable.CellStyle(border: borders, wrap: column?.wrap ?? false, vertical: borders ? "center" : nil)
        switch (cell, column?.format ?? .general) {
        case (.integer, .integer), (.number, .integer): style.numberFormat = 3
        case (.integer, .percent), (.number, .percent): style.numberFormat = StyleTable.percentFormat
        default: break
        }
        return style
    }

    static func sheetXML(_ sheet: Sheet, styles: inout StyleTable) -> String {
        var w = SheetWriter(width: sheet.width)
        for (i, line) in sheet.title.enumerated() {
            w.merged(i + 1, line.text, style: styles.id(lineStyle(line.emphasis)), height: line.emphasis == .heading ? 24 : nil)
        }
        let headerStyle = sheet.borders
            ? StyleTable.CellStyle(font: .bold, border: true, fill: true, wrap: true, horizontal: "center", vertical: "center")
            : StyleTable.CellStyle(font: .bold)
        let header = styles.id(headerStyle)
        w.row(sheet.headerRow, sheet.header.map { (Cell.text($0), header) } + Array(repeating: (Cell.empty, header), count: sheet.width - sheet.header.count))
        let band = styles.id(StyleTable.CellStyle(font: .bold, border: sheet.borders, vertical: "center"))
        let bandRest = styles.id(StyleTable.CellStyle(border: sheet.borders))
        for (i, cells) in sheet.rows.enumerated() {
            let number = sheet.headerRow + 1 + i
            if sheet.bands.contains(i) {
                w.merged(number, cells.first.flatMap { if case .text(let t) = $0 { t } else { nil } } ?? "", style: band, rest: bandRest)
                continue
            }
            let padded = sheet.borders ? cells + Array(repeating: Cell.empty, count: max(0, sheet.width - cells.count)) : cells
            w.row(number, padded.enumerated().map { j, cell in
                (cell, styles.id(bodyStyle(cell, column: j < sheet.columns.count ? sheet.columns[j] : nil, borders: sheet.borders)))
            })
        }
        let footerStart = sheet.headerRow + sheet.rows.count + 2
        for (i, line) in sheet.footer.enumerated() {
            w.merged(footerStart + i, line.text, style: styles.id(lineStyle(line.emphasis)))
        }
        return worksheet(sheet, data: w.xml, merges: w.merges)
    }

    /// The worksheet around its rows, its parts in the order the schema asks.
    static func worksheet(_ sheet: Sheet, data: String, merges: [String]) -> String {
        var xml = xmlDeclaration + "<worksheet xmlns=\"\(mainNamespace)\" xmlns:r=\"\(relationshipsNamespace)\">"
        if sheet.page?.fitToWidth == true { xml += "<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>" }
        xml += "<sheetViews><sheetView workbookViewId=\"0\">"
        if sheet.freezeHeader {
            let split = sheet.headerRow
            xml += "<pane ySplit=\"\(split)\" topLeftCell=\"A\(split + 1)\" activePane=\"bottomLeft\" state=\"frozen\"/>"
            xml += "<selection pane=\"bottomLeft\" activeCell=\"A\(split + 1)\" sqref=\"A\(split + 1)\"/>"
        }
        xml += "</sheetView></sheetViews>"
        let widths = sheet.columns.enumerated().compactMap { i, c in
            c.width.map { "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\($0)\" customWidth=\"1\"/>" }
        }
        if !widths.isEmpty { xml += "<cols>" + widths.joined() + "</cols>" }
        xml += "<sheetData>" + data + "</sheetData>"
        if !merges.isEmpty { xml += "<mergeCells count=\"\(merges.count)\">" + merges.map { "<mergeCell ref=\"\($0)\"/>" }.joined() + "</mergeCells>" }
        if let page = sheet.page {
            xml += "<printOptions horizontalCentered=\"1\"/>"
            xml += "<pageMargins left=\"0.5\" right=\"0.5\" top=\"0.6\" bottom=\"0.6\" header=\"0.3\" footer=\"0.3\"/>"
            xml += "<pageSetup paperSize=\"\(page.paperSize)\" orientation=\"\(page.orientation.rawValue)\""
            xml += page.fitToWidth ? " fitToWidth=\"1\" fitToHeight=\"0\"/>" : "/>"
        }
        return xml + "</worksheet>"
    }
}

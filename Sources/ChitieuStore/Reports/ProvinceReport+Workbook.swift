public import ChitieuWorkbook
public import Foundation

extension ProvinceReport {
    /// The columns' widths and formats: integers with separators, the rate as a percentage.
    static let columns: [Workbook.Column] = [
        .init(width: 6, format: .integer), .init(width: 52, wrap: true), .init(width: 12, wrap: true), .init(width: 13, format: .integer),
        .init(width: 13, format: .integer), .init(width: 12, format: .percent), .init(width: 24, wrap: true),
    ]

    /// The workbook: a sheet per table, each under the title block, bordered, its header
    /// frozen and repeated on every printed page of an A4 landscape sheet; a unit's band in the
    /// district and commune tables says how many of its indicators are complete.
    public var workbook: Workbook {
        let sheets = tables.enumerated().map { index, table in
            var rows: [[Cell]] = []
            var bands: Set<Int> = []
            for group in table.groups {
                if table.level != .province {
                    bands.insert(rows.count)
                    rows.append([.text("\(group.unitName) — \(group.completion.text)")])
                }
                rows += group.lines.map(Self.cells)
            }
            let title = titleLines.enumerated().map { i, text in
                Workbook.Line(text, i == 3 ? .heading : i < 3 ? .strong : i == 5 ? .italic : .plain)
            } + [Workbook.Line(table.heading, .strong)]
            let footer = index == 0 ? (completion.map { [Workbook.Line($0.text, .summary)] } ?? []) : []
            return Workbook.Sheet(
                name: Self.levelNames[table.level] ?? table.heading, header: Self.header, rows: rows, title: title, footer: footer,
                columns: Self.columns, bands: bands, borders: true, page: .a4Landscape)
        }
        return Workbook(sheets: sheets.isEmpty ? [Workbook.Sheet(name: "Báo cáo", header: Self.header, rows: [], borders: true)] : sheets)
    }

    /// A line's cells: numbers as numbers, the rate as a fraction (Excel shows 86.1%).
    static func cells(_ line: Line) -> [Cell] {
        [.integer(line.number), .text(line.indicatorName), .text(line.measureUnit), line.target.map(Cell.integer) ?? .empty,
         .integer(line.achieved), line.rate.map(Cell.number) ?? .empty, .text(line.note)]
    }

    /// The .xlsx file's bytes.
    public func xlsx() -> Data { workbook.data() }
}

import ChitieuWorkbook
import Foundation
import Testing
import ZIPFoundation

@Suite("Reading uploaded workbooks and CSV files")
struct WorkbookReaderTests {
    /// A ZIP archive of the parts, deflated as spreadsheet programs write them.
    static func archive(_ parts: [(String, String)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, text) in parts {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data!
    }

    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    /// A workbook laid out as openpyxl and LibreOffice write one: shared strings (one in rich-text
    /// runs), a formula with its cached value, a day, a boolean, gaps between cells and rows, two sheets.
    static func spreadsheetProgramFile() throws -> Data {
        try archive([
            ("[Content_Types].xml", #"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
            ("xl/workbook.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <workbook xmlns="\(main)" xmlns:r="\(relationships)"><bookViews/><sheets>
                <sheet name="Kết quả" sheetId="1" state="visible" r:id="rId2"/><sheet name="Ghi chú" sheetId="2" r:id="rId3"/>
                </sheets><calcPr/></workbook>
                """),
            ("xl/_rels/workbook.xml.rels", """
                <?xml version="1.0" encoding="UTF-8"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
                <Relationship Id="rId1" Type="\(relationships)/styles" Target="styles.xml"/>
                <Relationship Id="rId2" Type="\(relationships)/worksheet" Target="/xl/worksheets/sheet1.xml"/>
                <Relationship Id="rId3" Type="\(relationships)/worksheet" Target="worksheets/sheet2.xml"/>
                <Relationship Id="rId4" Type="\(relationships)/sharedStrings" Target="sharedStrings.xml"/>
                </Relationships>
                """),
            ("xl/styles.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <styleSheet xmlns="\(main)"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>
                <cellXfs count="3"><xf numFmtId="0" fontId="0"/><xf numFmtId="164" fontId="0" applyNumberFormat="1"/><xf numFmtId="3"/></cellXfs></styleSheet>
                """),
            ("xl/sharedStrings.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <sst xmlns="\(main)" count="4" uniqueCount="4"><si><t>Mã đơn vị</t></si><si><t xml:space="preserve">Giá trị </t></si>
                <si><r><rPr><b/></rPr><t>Xã </t></r><r><t>A Mú Sung</t></r></si><si><t>02959</t></si></sst>
                """),
            ("xl/worksheets/sheet1.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <worksheet xmlns="\(main)" xmlns:r="\(relationships)"><dimension ref="A1:F4"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>
                <cols><col min="1" max="1" width="12"/></cols><sheetData>
                <row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
                <row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="2"><v>12</v></c><c r="D2" t="s"><v>2</v></c><c r="E2"><f>B2*2</f><v>24</v></c></row>
                <row r="4"><c r="A4" t="inlineStr"><is><t>02947</t></is></c><c r="B4"><v>7.5</v></c><c r="C4" t="b"><v>1</v></c><c r="D4" s="1"><v>45839</v></c><c r="E4" t="str"><f>A4&amp;"x"</f><v>02947x</v></c></row>
                </sheetData><mergeCells count="0"/></worksheet>
                """),
            ("xl/worksheets/sheet2.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <worksheet xmlns="\(main)"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ghi chú</t></is></c></row></sheetData></worksheet>
                """),
        ])
    }

    @Test func readsWhatTheWriterWrites() throws {
        let sheet = Workbook.Sheet(
            name: "Mẫu", header: ["Mã đơn vị [unit_code]", "Giá trị [value]", "Ghi chú"],
            rows: [[.text("02959"), .integer(12), .text("a < b & \"c\"")], [.text("02947"), .number(3.5), .empty], [.empty, .empty, .text("cuối")]])
        let table = try WorkbookReader().read(Workbook(sheets: [sheet]).data())
        #expect(table.name == "Mẫu")
        #expect(table.rows.map(\.number) == [1, 2, 3, 4])
        #expect(table.rows[0].cells == [.text("Mã đơn vị [unit_code]"), .text("Giá trị [value]"), .text("Ghi chú")])
        #expect(table.rows[1].cells == [.text("02959"), .number("12"), .text("a < b & \"c\"")])
        #expect(table.rows[2][1].text == "3.5" && table.rows[2][2] == .empty)
        #expect(table.rows[3].cells == [.empty, .empty, .text("cuối")])
    }

    @Test func readsSharedStringsFormulasDaysAndGaps() throws {
        let table = try WorkbookReader().read(try Self.spreadsheetProgramFile())
        #expect(table.name == "Kết quả")
        #expect(table.rows.map(\.number) == [1, 2, 4])
        #expect(table.rows[0].cells == [.text("Mã đơn vị"), .text("Giá trị ")])
        #expect(table.rows[1].cells == [.text("02959"), .number("12"), .empty, .text("Xã A Mú Sung"), .number("24")])
        #expect(table.rows[2].cells == [.text("02947"), .number("7.5"), .boolean(true), .date(year: 2025, month: 7, day: 1), .text("02947x")])
        #expect(table.rows[2][3].text == "2025-07-01")
        #expect(table.rows[1][1].text == "12")
    }

    @Test func readsASheetByName() throws {
        let table = try WorkbookReader().read(try Self.spreadsheetProgramFile(), sheet: "Ghi chú")
        #expect(table.rows.first?.cells == [.text("ghi chú")])
        #expect(throws: WorkbookReadError.self) { try WorkbookReader().read(try Self.spreadsheetProgramFile(), sheet: "Không có") }
    }

    @Test func readsCSVWithAByteOrderMarkAndSemicolons() throws {
        let text = "\u{FEFF}Mã đơn vị;Giá trị;Ghi chú\r\n02959;12;\"a; b\"\r\n;;\r\n"
        let table = try WorkbookReader().read(Data(text.utf8))
        #expect(table.rows[0].cells == [.text("Mã đơn vị"), .text("Giá trị"), .text("Ghi chú")])
        #expect(table.rows[1].cells == [.text("02959"), .text("12"), .text("a; b")])
        #expect(table.rows[2].isBlank)
        let commas = try WorkbookReader().read(Data("a,b\n1,\"x, y\"\n".utf8))
        #expect(commas.rows[1].cells == [.text("1"), .text("x, y")])
    }

    @Test func refusesWhatIsNotAWorkbookAndFilesOverTheLimits() throws {
        func kind(_ body: () throws -> SheetTable) -> WorkbookReadError.Kind? {
            do { _ = try body(); return nil } catch let error as WorkbookReadError { return error.kind } catch { return nil }
        }
        #expect(kind { try WorkbookReader().read(Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF])) } == .notAWorkbook)
        #expect(kind { try WorkbookReader().read(Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00])) } == .notAWorkbook)
        #expect(kind { try WorkbookReader().read(try Self.archive([("hello.txt", "hi")])) } == .notAWorkbook)
        #expect(kind { try WorkbookReader(maximumBytes: 10).read(Data("a,b,c\n1,2,3\n".utf8)) } == .tooLarge)
        #expect(kind { try WorkbookReader(maximumRows: 2).read(Data("a\n1\n2\n".utf8)) } == .tooManyRows)
        let rows = (0..<5).map { [Cell.integer($0)] }
        let workbook = Workbook(sheets: [Workbook.Sheet(name: "x", header: ["n"], rows: rows)]).data()
        #expect(kind { try WorkbookReader(maximumRows: 3).read(workbook) } == .tooManyRows)
        #expect(kind { try WorkbookReader(maximumRows: 6).read(workbook) } == nil)
    }

    @Test func readsCellReferences() {
        #expect(SheetTable.reference("A1")! == (0, 1))
        #expect(SheetTable.reference("$AB$12")! == (27, 12))
        #expect(SheetTable.reference("1A") == nil)
        #expect(SheetTable.columnName(27) == "AB")
    }
}

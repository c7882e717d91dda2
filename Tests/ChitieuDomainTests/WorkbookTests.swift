import Foundation
import Testing
import ZIPFoundation

@testable import ChitieuWorkbook

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The xlsx writer: a deflated ZIP that opens, well-formed parts, and the layout a report asks
/// for (title block, borders, number formats, widths, frozen header, A4 landscape).
@Suite("Workbooks")
struct WorkbookTests {
    /// A report-like sheet: a title block, a band, integers, a rate and a footer.
    static let report = Workbook(sheets: [
        Workbook.Sheet(
            name: "Cấp tỉnh", header: ["STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao", "Đạt", "Tỷ lệ", "Ghi chú"],
            rows: [
                [.text("Tỉnh Lào Cai")],
                [.integer(1), .text("Tổ truyền thông cộng đồng <&>"), .text("tổ"), .integer(3816), .integer(3286), .number(0.8611), .empty],
                [.integer(2), .text("Câu lạc bộ Thủ lĩnh của sự thay đổi"), .text("CLB"), .empty, .integer(0), .empty, .text("Tạm dừng")],
            ],
            title: [.init("BÁO CÁO KẾT QUẢ", .heading), .init("Giai đoạn 2021-2025"), .init("Ngày 07/12/2026", .italic)],
            footer: [.init("Hoàn thành 0/1 chỉ tiêu", .summary)],
            columns: [.init(width: 6, format: .integer), .init(width: 50, wrap: true), .init(width: 12), .init(width: 14, format: .integer),
                      .init(width: 14, format: .integer), .init(width: 10, format: .percent), .init(width: 18, wrap: true)],
            bands: [0], borders: true, page: .a4Landscape),
        Workbook.Sheet(name: "Cấp tỉnh", header: ["A"], rows: [[.number(1.5)]]),
    ])

    static func entries(_ data: Data) throws -> [String: Data] {
        let archive = try Archive(data: data, accessMode: .read)
        var parts: [String: Data] = [:]
        for entry in archive {
            var content = Data()
            _ = try archive.extract(entry) { content.append($0) }
            parts[entry.path] = content
            #expect(entry.type == .file)
        }
        return parts
    }

    @Test func theArchiveIsDeflatedAndEveryPartIsWellFormedXML() throws {
        let data = Self.report.data()
        let archive = try Archive(data: data, accessMode: .read)
        #expect(archive.allSatisfy { $0.isCompressed })
        let parts = try Self.entries(data)
        #expect(Set(parts.keys) == [
            "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
        ])
        for (path, content) in parts {
            let parser = XMLParser(data: content)
            #expect(parser.parse(), "\(path) is not well-formed: \(String(describing: parser.parserError))")
        }
        // The same workbook, the same bytes.
        #expect(Self.report.data() == data)
    }

    @Test func theLayoutIsWrittenWhereExcelReadsIt() throws {
        let parts = try Self.entries(Self.report.data())
        let sheet = try #require(parts["xl/worksheets/sheet1.xml"].flatMap { String(data: $0, encoding: .utf8) })
        let workbook = try #require(parts["xl/workbook.xml"].flatMap { String(data: $0, encoding: .utf8) })
        let styles = try #require(parts["xl/styles.xml"].flatMap { String(data: $0, encoding: .utf8) })
        // The title takes three rows and a blank one: the header is row 5, frozen below it.
        #expect(sheet.contains(#"<pane ySplit="5" topLeftCell="A6" activePane="bottomLeft" state="frozen"/>"#))
        #expect(sheet.contains(#"<mergeCell ref="A1:G1"/>"#) && sheet.contains(#"<mergeCell ref="A6:G6"/>"#))
        #expect(sheet.contains(#"<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>"#))
        #expect(sheet.contains(#"<col min="2" max="2" width="50.0" customWidth="1"/>"#))
        #expect(sheet.contains("Tổ truyền thông cộng đồng &lt;&amp;&gt;"))
        #expect(sheet.contains("<row r=\"10\">"), "the footer a blank row below the table")
        #expect(workbook.contains(#"<definedName name="_xlnm.Print_Titles" localSheetId="0">'Cấp tỉnh'!$5:$5</definedName>"#))
        #expect(workbook.contains(#"name="Cấp tỉnh 2""#), "sheet names stay unique")
        #expect(styles.contains(#"formatCode="0.0%""#))
    }

    /// A progress export's shape (15 columns, Vietnamese names) at a big province's size:
    /// 1,610 rows. Deflated, the file is a fraction of the parts' own size (what a stored
    /// archive weighs).
    @Test func aBigProvincesExportIsCompressed() throws {
        let rows: [[Cell]] = (0..<1610).map { i in
            [.text("CT\(i % 10 + 1)"), .text("Số tổ truyền thông cộng đồng được thành lập và duy trì hoạt động"), .text("tổ"),
             .text(String(format: "%05d", i)), .text("Xã Bản Vược \(i)"), .text("Xã"), .integer(2021 + i % 5), .integer(i % 40),
             .integer(i % 37), .number(Double(i % 1000) / 10), .integer(i % 41), .integer(i * 3 % 200), .text("thành viên"),
             .text("Đúng tiến độ"), .text("Quyết định số 123/QĐ-UBND ngày 12/03/2021 của UBND tỉnh")]
        }
        let workbook = Workbook(sheets: [Workbook.Sheet(name: "Cấp xã", header: Array(repeating: "Cột", count: 15), rows: rows)])
        let stored = workbook.parts().reduce(0) { $0 + $1.1.count }
        let deflated = workbook.data().count
        print("workbook of 1,610 rows: parts \(stored) bytes, deflated file \(deflated) bytes")
        #expect(deflated * 8 < stored)
        let parts = try Self.entries(workbook.data())
        #expect(parts["xl/worksheets/sheet1.xml"]?.count ?? 0 > 1_000_000)
    }

    /// The file as openpyxl reads it, when the Python that the browser tests use is given.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CHITIEU_BROWSER_PYTHON"] != nil, "set CHITIEU_BROWSER_PYTHON (a Python with openpyxl)"))
    func openpyxlReadsTheLayout() throws {
        let python = try #require(ProcessInfo.processInfo.environment["CHITIEU_BROWSER_PYTHON"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-workbook-\(UUID().uuidString).xlsx")
        try Self.report.data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb.worksheets[0]
            assert wb.sheetnames == ["Cấp tỉnh", "Cấp tỉnh 2"], wb.sheetnames
            assert ws.freeze_panes == "A6", ws.freeze_panes
            assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
            assert ws.print_title_rows == "$5:$5", ws.print_title_rows
            assert ws["A1"].font.b and ws["A1"].value == "BÁO CÁO KẾT QUẢ"
            assert all(ws.cell(5, c).font.b for c in range(1, 8))
            assert ws["D7"].value == 3816 and ws["D7"].number_format == "#,##0"
            assert abs(ws["F7"].value - 0.8611) < 1e-9 and ws["F7"].number_format == "0.0%"
            assert ws["B7"].border.left.style == "thin" and ws["B7"].alignment.wrap_text
            assert ws.column_dimensions["B"].width == 50
            assert "A6:G6" in [str(r) for r in ws.merged_cells.ranges]
            assert ws["A10"].value == "Hoàn thành 0/1 chỉ tiêu"
            print("ok")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.contains("ok"), "\(output)")
    }
}

public import Foundation

/// A cell of a sheet: text or a number (numbers stay numbers in Excel).
public enum Cell: Sendable, Hashable {
    case text(String)
    case number(Double)
    case integer(Int)
    case empty
}

/// A minimal Office Open XML workbook (.xlsx): sheets of rows, a bold frozen header row,
/// inline strings (no shared-string table), written as a ZIP archive without compression.
public struct Workbook: Sendable {
    public struct Sheet: Sendable {
        public var name: String
        public var header: [String]
        public var rows: [[Cell]]

        public init(name: String, header: [String], rows: [[Cell]]) {
            self.name = name
            self.header = header
            self.rows = rows
        }
    }

    public var sheets: [Sheet]

    public init(sheets: [Sheet]) {
        self.sheets = sheets
    }

    /// Excel's rules for sheet names: at most 31 characters, none of []:*?/\, unique.
    static func sheetNames(_ sheets: [Sheet]) -> [String] {
        var used: Set<String> = []
        return sheets.enumerated().map { index, sheet in
            var name = String(sheet.name.map { "[]:*?/\\".contains($0) ? "-" : $0 }.prefix(31))
            if name.isEmpty { name = "Sheet\(index + 1)" }
            var candidate = name
            var n = 2
            while used.contains(candidate.lowercased()) {
                candidate = String(name.prefix(28)) + " \(n)"
                n += 1
            }
            used.insert(candidate.lowercased())
            return candidate
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // XML 1.0 forbids most control characters.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func column(_ index: Int) -> String {
        var n = index + 1
        var name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    static func sheetXML(_ sheet: Sheet) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
        xml += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        xml += #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        xml += "<sheetData>"
        func row(_ cells: [Cell], _ number: Int, style: Int) {
            xml += "<row r=\"\(number)\">"
            for (i, cell) in cells.enumerated() {
                let ref = "\(column(i))\(number)"
                let s = style > 0 ? " s=\"\(style)\"" : ""
                switch cell {
                case .text(let t): xml += "<c r=\"\(ref)\" t=\"inlineStr\"\(s)><is><t xml:space=\"preserve\">\(escape(t))</t></is></c>"
                case .integer(let v): xml += "<c r=\"\(ref)\"\(s)><v>\(v)</v></c>"
                case .number(let v): xml += v.isFinite ? "<c r=\"\(ref)\"\(s)><v>\(v)</v></c>" : ""
                case .empty: break
                }
            }
            xml += "</row>"
        }
        row(sheet.header.map(Cell.text), 1, style: 1)
        for (i, cells) in sheet.rows.enumerated() { row(cells, i + 2, style: 0) }
        xml += "</sheetData></worksheet>"
        return xml
    }

    /// The .xlsx file's bytes.
    public func data() -> Data {
        let names = Self.sheetNames(sheets)
        var files: [(String, Data)] = []
        var types = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        types += #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        types += #"<Default Extension="xml" ContentType="application/xml"/>"#
        types += #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        types += #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        for i in sheets.indices {
            types += "<Override PartName=\"/xl/worksheets/sheet\(i + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        types += "</Types>"
        files.append(("[Content_Types].xml", Data(types.utf8)))
        files.append(("_rels/.rels", Data((#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).utf8)))
        var workbook = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#
        var rels = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        for (i, name) in names.enumerated() {
            workbook += "<sheet name=\"\(Self.escape(name))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
            rels += "<Relationship Id=\"rId\(i + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        workbook += "</sheets></workbook>"
        rels += "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>"
        files.append(("xl/workbook.xml", Data(workbook.utf8)))
        files.append(("xl/_rels/workbook.xml.rels", Data(rels.utf8)))
        let styles = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#
        files.append(("xl/styles.xml", Data(styles.utf8)))
        for (i, sheet) in sheets.enumerated() {
            files.append(("xl/worksheets/sheet\(i + 1).xml", Data(Self.sheetXML(sheet).utf8)))
        }
        return ZipArchive.stored(files)
    }
}

/// ZIP archives with stored (uncompressed) entries: what .xlsx readers accept.
public enum ZipArchive {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 (ISO 3309) of bytes.
    public static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// An archive of the files, in order.
    public static func stored(_ files: [(String, Data)]) -> Data {
        var out = Data()
        var central = Data()
        func le16(_ v: Int, _ d: inout Data) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        func le32(_ v: UInt32, _ d: inout Data) { for s in [0, 8, 16, 24] { d.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
        for (name, content) in files {
            let nameBytes = Data(name.utf8)
            let crc = crc32(content)
            let offset = UInt32(out.count)
            le32(0x0403_4B50, &out); le16(20, &out); le16(0x0800, &out); le16(0, &out); le16(0, &out); le16(0x21, &out)
            le32(crc, &out); le32(UInt32(content.count), &out); le32(UInt32(content.count), &out)
            le16(nameBytes.count, &out); le16(0, &out); out.append(nameBytes); out.append(content)
            le32(0x0201_4B50, &central); le16(20, &central); le16(20, &central); le16(0x0800, &central); le16(0, &central)
            le16(0, &central); le16(0x21, &central); le32(crc, &central); le32(UInt32(content.count), &central)
            le32(UInt32(content.count), &central); le16(nameBytes.count, &central); le16(0, &central); le16(0, &central)
            le16(0, &central); le16(0, &central); le32(0, &central); le32(offset, &central); central.append(nameBytes)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        le32(0x0605_4B50, &out); le16(0, &out); le16(0, &out); le16(files.count, &out); le16(files.count, &out)
        le32(UInt32(central.count), &out); le32(centralOffset, &out); le16(0, &out)
        return out
    }
}

import Foundation

// The parts of an Office Open XML workbook the reader needs, as XMLCoder decodes them. Element
// and attribute names are local names (the decoder drops namespace prefixes); everything else
// in the parts (styles of fonts, column widths, merged cells…) is ignored.

/// Text content of an element: `<t xml:space="preserve"> x</t>`, `<v>12</v>`.
struct XMLText: Decodable {
    var value: String?

    enum CodingKeys: String, CodingKey {
        case value = ""
    }
}

/// Keys read by name, for attributes that may keep their prefix (`r:id`).
struct XMLKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `xl/workbook.xml`: the sheets, in the order Excel shows them.
struct WorkbookPart: Decodable {
    struct Sheets: Decodable {
        var sheet: [Sheet]?
    }

    struct Sheet: Decodable {
        var name: String
        var relationship: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: XMLKey.self)
            name = try container.decode(String.self, forKey: XMLKey(stringValue: "name"))
            let id = try ["r:id", "id"].lazy.compactMap { try container.decodeIfPresent(String.self, forKey: XMLKey(stringValue: $0)) }.first
            relationship = id ?? ""
        }
    }

    var sheets: Sheets?
}

/// `xl/_rels/workbook.xml.rels`: where each sheet's part is.
struct RelationshipsPart: Decodable {
    struct Link: Decodable {
        var id: String
        var target: String

        enum CodingKeys: String, CodingKey {
            case id = "Id", target = "Target"
        }
    }

    var links: [Link]?

    enum CodingKeys: String, CodingKey {
        case links = "Relationship"
    }
}

/// `xl/sharedStrings.xml`: the strings cells of type `s` point at, plain or in rich-text runs.
struct SharedStringsPart: Decodable {
    struct Item: Decodable {
        struct Run: Decodable {
            var t: XMLText?
        }

        var t: XMLText?
        var r: [Run]?

        var text: String {
            if let runs = r { return runs.map { $0.t?.value ?? "" }.joined() }
            return t?.value ?? ""
        }
    }

    var si: [Item]?
}

/// `xl/styles.xml`: the number format of each cell style, to tell days from numbers.
struct StylesPart: Decodable {
    struct NumberFormats: Decodable {
        var numFmt: [NumberFormat]?
    }

    struct NumberFormat: Decodable {
        var numFmtId: Int
        var formatCode: String
    }

    struct CellFormats: Decodable {
        var xf: [Format]?
    }

    struct Format: Decodable {
        var numFmtId: Int?
    }

    var numFmts: NumberFormats?
    var cellXfs: CellFormats?

    /// For each cell style index, whether its number format shows a day.
    var dateStyles: [Bool] {
        var custom: [Int: String] = [:]
        for format in numFmts?.numFmt ?? [] { custom[format.numFmtId] = format.formatCode }
        return (cellXfs?.xf ?? []).map { xf in
            guard let id = xf.numFmtId else { return false }
            if (14...22).contains(id) || (45...47).contains(id) { return true }
            guard let code = custom[id] else { return false }
            return Self.isDateFormat(code)
        }
    }

    /// A format code that writes a day: it has y or d outside quoted text and brackets.
    static func isDateFormat(_ code: String) -> Bool {
        var quoted = false
        var bracket = false
        for ch in code.lowercased() {
            switch ch {
            case "\"": quoted.toggle()
            case "[": bracket = true
            case "]": bracket = false
            default: if (ch == "y" || ch == "d") && !quoted && !bracket { return true }
            }
        }
        return false
    }
}

/// `xl/worksheets/sheetN.xml`: rows of cells.
struct WorksheetPart: Decodable {
    struct SheetData: Decodable {
        var row: [Row]?
    }

    struct Row: Decodable {
        var r: Int?
        var c: [Cell]?
    }

    struct Cell: Decodable {
        /// The reference (`B3`).
        var r: String?
        /// The type: `s` shared string, `inlineStr`, `str` formula text, `b` boolean, `e` error, `n` or none a number.
        var t: String?
        /// The style index.
        var s: Int?
        /// The value (for a formula, the value Excel last computed).
        var v: XMLText?
        /// An inline string.
        var `is`: SharedStringsPart.Item?
    }

    var sheetData: SheetData?
}

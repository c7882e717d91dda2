/// The cell formats a workbook uses, gathered as its sheets are written: each distinct
/// `CellStyle` gets one index into the styles part's `cellXfs`.
struct StyleTable {
    /// A cell's look: what the `s` attribute of a cell points at.
    struct CellStyle: Hashable {
        /// The fonts of the styles part, in order.
        enum Font: Int, CaseIterable {
            case regular, bold, italic, heading
        }

        var font = Font.regular
        /// A built-in number format (0 General, 3 `#,##0`) or `percentFormat`.
        var numberFormat = 0
        var border = false
        var fill = false
        var wrap = false
        var horizontal: String?
        var vertical: String?
    }

    /// The one custom number format: a percentage with one decimal.
    static let percentFormat = 164

    private(set) var styles: [CellStyle] = [CellStyle()]
    private var index: [CellStyle: Int] = [CellStyle(): 0]

    /// The index of `style`, added if new.
    mutating func id(_ style: CellStyle) -> Int {
        if let known = index[style] { return known }
        styles.append(style)
        index[style] = styles.count - 1
        return styles.count - 1
    }

    /// The styles part.
    var xml: String {
        var xml = Workbook.xmlDeclaration + "<styleSheet xmlns=\"\(Workbook.mainNamespace)\">"
        xml += "<numFmts count=\"1\"><numFmt numFmtId=\"\(Self.percentFormat)\" formatCode=\"0.0%\"/></numFmts>"
        let font = "<sz val=\"12\"/><name val=\"Times New Roman\"/><family val=\"1\"/>"
        xml += "<fonts count=\"4\"><font>\(font)</font><font><b/>\(font)</font><font><i/>\(font)</font>"
        xml += "<font><b/><sz val=\"14\"/><name val=\"Times New Roman\"/><family val=\"1\"/></font></fonts>"
        xml += "<fills count=\"3\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill>"
        xml += "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFE7EEF5\"/><bgColor indexed=\"64\"/></patternFill></fill></fills>"
        let thin = "<color auto=\"1\"/>"
        xml += "<borders count=\"2\"><border><left/><right/><top/><bottom/><diagonal/></border>"
        xml += "<border><left style=\"thin\">\(thin)</left><right style=\"thin\">\(thin)</right><top style=\"thin\">\(thin)</top>"
        xml += "<bottom style=\"thin\">\(thin)</bottom><diagonal/></border></borders>"
        xml += "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        xml += "<cellXfs count=\"\(styles.count)\">" + styles.map(Self.xf).joined() + "</cellXfs>"
        xml += "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
        return xml + "</styleSheet>"
    }

    static func xf(_ s: CellStyle) -> String {
        var xml = "<xf numFmtId=\"\(s.numberFormat)\" fontId=\"\(s.font.rawValue)\" fillId=\"\(s.fill ? 2 : 0)\" borderId=\"\(s.border ? 1 : 0)\" xfId=\"0\""
        if s.numberFormat != 0 { xml += " applyNumberFormat=\"1\"" }
        if s.font != .regular { xml += " applyFont=\"1\"" }
        if s.fill { xml += " applyFill=\"1\"" }
        if s.border { xml += " applyBorder=\"1\"" }
        guard s.wrap || s.horizontal != nil || s.vertical != nil else { return xml + "/>" }
        xml += " applyAlignment=\"1\"><alignment"
        if let h = s.horizontal { xml += " horizontal=\"\(h)\"" }
        if let v = s.vertical { xml += " vertical=\"\(v)\"" }
        if s.wrap { xml += " wrapText=\"1\"" }
        return xml + "/></xf>"
    }
}

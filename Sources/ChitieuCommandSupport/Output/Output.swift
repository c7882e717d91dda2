import Foundation

/// Printing of listings: aligned tables for people, JSON and CSV for scripts. Vietnamese
/// text is printed as stored (NFC), and columns are aligned by characters, not bytes.
package enum Output {
    package static func print(_ format: OutputFormat, columns: [String], rows: [[String]], jsonRows: [[String: Any]]) {
        switch format {
        case .table: Swift.print(table(columns: columns, rows: rows), terminator: "")
        case .csv: Swift.print(csv(columns: columns, rows: rows), terminator: "")
        case .json: Swift.print(json(jsonRows))
        }
    }

    /// Prints one record: `object` as JSON (for scripts) when `json`, else `text` for people.
    package static func print(json: Bool, _ object: @autoclosure () -> Any, else text: @autoclosure () -> String, terminator: String = "\n") {
        if json { Swift.print(Output.json(object())) } else { Swift.print(text(), terminator: terminator) }
    }

    package static func table(columns: [String], rows: [[String]]) -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ") + "\n"
        }
        var out = line(columns)
        out += line(widths.map { String(repeating: "-", count: $0) })
        for row in rows { out += line(row) }
        return out
    }

    /// One record for people: a name and its value a line, the values aligned.
    package static func fields(_ lines: [(name: String, value: String)]) -> String {
        let width = lines.map(\.name.count).max() ?? 0
        return lines.map { $0.name + String(repeating: " ", count: width - $0.name.count) + "  " + $0.value + "\n" }.joined()
    }

    package static func csv(columns: [String], rows: [[String]]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([columns] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
    }

    package static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes a message for people to standard error.
    package static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

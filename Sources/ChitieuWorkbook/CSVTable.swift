import CSV
public import Foundation

/// A CSV file of a header and rows (CSV.swift's writer): UTF-8 with a byte order mark, so that
/// Excel opens Vietnamese text as it is, CRLF line ends, fields quoted where they need it.
public enum CSVTable {
    /// The file's bytes.
    public static func data(header: [String], rows: [[Cell]]) -> Data {
        let stream = OutputStream(toMemory: ())
        stream.open()
        defer { stream.close() }
        // Writing to memory cannot fail; a writer that cannot be made leaves the file empty.
        guard let writer = try? CSVWriter(stream: stream, newline: .crlf) else { return Data() }
        try? writer.write(row: header)
        for row in rows { try? writer.write(row: row.map(text)) }
        let written = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        return Data([0xEF, 0xBB, 0xBF]) + written + Data("\r\n".utf8)
    }

    /// A cell as CSV writes it: numbers without a needless `.0`.
    static func text(_ cell: Cell) -> String {
        switch cell {
        case .text(let text): text
        case .integer(let value): String(value)
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .empty: ""
        }
    }
}

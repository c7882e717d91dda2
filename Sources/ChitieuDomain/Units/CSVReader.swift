import Foundation

/// A small RFC 4180 reader: comma-separated, double-quoted fields with doubled quotes,
/// CRLF or LF line ends. It reports invalid UTF-8 and unterminated quotes by line.
enum CSVReader {
    struct Record {
        var line: Int
        var fields: [String]
    }

    static func records(_ data: Data) throws(CSVFileError) -> [Record] {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // UTF-8 byte order mark
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var i = 0

        func finishField() throws(CSVFileError) {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw CSVFileError(line: line, reason: "the bytes are not valid UTF-8")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }

        while i < bytes.count {
            let byte = bytes[i]
            if inQuotes {
                if byte == 34 {
                    if i + 1 < bytes.count, bytes[i + 1] == 34 {
                        field.append(34)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == 10 { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case 34 where field.isEmpty: inQuotes = true
                case 44: try finishField()
                case 13 where i + 1 < bytes.count && bytes[i + 1] == 10: break
                case 10:
                    try finishField()
                    records.append(Record(line: recordLine, fields: fields))
                    fields.removeAll(keepingCapacity: true)
                    line += 1
                    recordLine = line
                default: field.append(byte)
                }
            }
            i += 1
        }
        if inQuotes { throw CSVFileError(line: recordLine, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            try finishField()
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }
}

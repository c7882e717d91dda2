public import Foundation

/// One column value as the server sent it, in text format; `text` is nil for SQL NULL.
public struct PostgresCell: Sendable {
    /// The value's text, or nil for NULL.
    public var text: String?
    /// The column's type.
    public var type: PostgresType
    /// The column's name.
    public var column: String
}

/// Why a value did not fit the Swift type asked for; the row adds the column.
public struct PostgresDecodingFailure: Error, Sendable {
    /// Human-readable reason, e.g. "NULL in a non-optional value".
    public var reason: String
    /// Creates a failure with a reason.
    public init(_ reason: String) { self.reason = reason }
}

/// A Swift type that can be read from a PostgreSQL column in text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a cell; `cell.text` is nil for SQL NULL.
    static func decode(_ cell: PostgresCell) throws(PostgresDecodingFailure) -> Self
}

/// A type that is never NULL: NULL is an error naming the column.
public protocol PostgresNonNullDecodable: PostgresDecodable {
    /// Decodes non-NULL text of the given type.
    static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Self
}

extension PostgresNonNullDecodable {
    public static func decode(_ cell: PostgresCell) throws(PostgresDecodingFailure) -> Self {
        guard let text = cell.text else {
            throw PostgresDecodingFailure("the value is NULL but \(Self.self) is not optional")
        }
        return try decode(text: text, type: cell.type)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ cell: PostgresCell) throws(PostgresDecodingFailure) -> Wrapped? {
        guard cell.text != nil else { return nil }
        return try Wrapped.decode(cell)
    }
}

private func requireType(_ type: PostgresType, _ ok: Bool, _ swiftType: String) throws(PostgresDecodingFailure) {
    if !ok { throw PostgresDecodingFailure("a \(type) value does not fit \(swiftType)") }
}

/// `text` read by `parse` when the column's type fits `swiftType`; otherwise a failure saying
/// which: the type, or `reason` for text that `parse` refuses.
private func read<Value>(
    _ text: String, _ type: PostgresType, fits: Bool, _ swiftType: String, else reason: @autoclosure () -> String, _ parse: (String) -> Value?
) throws(PostgresDecodingFailure) -> Value {
    try requireType(type, fits, swiftType)
    guard let value = parse(text) else { throw PostgresDecodingFailure(reason()) }
    return value
}

extension String: PostgresNonNullDecodable {
    /// Any type reads as its text form, except bytea (use `Data`).
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> String {
        try requireType(type, type != .bytea, "String")
        return text
    }
}

extension Int: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Int {
        try read(text, type, fits: type.isInteger, "Int", else: "'\(text)' is not an integer") { Int($0) }
    }
}

extension Int64: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Int64 {
        try read(text, type, fits: type.isInteger, "Int64", else: "'\(text)' is not an integer") { Int64($0) }
    }
}

extension Int32: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Int32 {
        try read(text, type, fits: type == .int2 || type == .int4, "Int32", else: "'\(text)' does not fit Int32") { Int32($0) }
    }
}

extension Int16: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Int16 {
        try read(text, type, fits: type == .int2, "Int16", else: "'\(text)' does not fit Int16") { Int16($0) }
    }
}

extension Double: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Double {
        try requireType(type, type == .float4 || type == .float8 || type == .numeric || type.isInteger, "Double")
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let v = Double(text) else { throw PostgresDecodingFailure("'\(text)' is not a number") }
            return v
        }
    }
}

extension Bool: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Bool {
        try requireType(type, type == .bool, "Bool")
        switch text {
        case "t": return true
        case "f": return false
        default: throw PostgresDecodingFailure("'\(text)' is not a boolean")
        }
    }
}

extension UUID: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> UUID {
        try read(text, type, fits: type == .uuid || type.isText, "UUID", else: "'\(text)' is not a UUID") { UUID(uuidString: $0) }
    }
}

extension Decimal: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Decimal {
        try read(text, type, fits: type == .numeric || type.isInteger, "Decimal", else: "'\(text)' is not a decimal number") {
            $0 == "NaN" ? nil : Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX"))
        }
    }
}

extension Date: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Date {
        try read(text, type, fits: type == .timestamptz || type == .timestamp || type == .date, "Date", else: "'\(text)' is not an ISO timestamp") {
            PostgresDateFormat.parse($0)
        }
    }
}

extension PostgresDate: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresDate {
        try read(text, type, fits: type == .date, "PostgresDate", else: "'\(text)' is not a date") { PostgresDate($0) }
    }
}

extension Data: PostgresNonNullDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> Data {
        try requireType(type, type == .bytea, "Data")
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw PostgresDecodingFailure("bytea is not in hex format")
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out = Data(capacity: (bytes.count - 2) / 2)
        var i = 2
        while i < bytes.count {
            guard let hi = nibble(bytes[i]), let lo = nibble(bytes[i + 1]) else {
                throw PostgresDecodingFailure("bytea has a non-hex digit")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {}
extension Array: PostgresNonNullDecodable where Element: PostgresDecodable {
    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> [Element] {
        guard let elementType = type.arrayElement else {
            throw PostgresDecodingFailure("a \(type) value is not an array")
        }
        let items: [String?]
        do {
            items = try PostgresArrayText.parse(text)
        } catch {
            throw PostgresDecodingFailure("malformed array text")
        }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                out.append(try Element.decode(PostgresCell(text: item, type: elementType, column: "")))
            } catch {
                throw PostgresDecodingFailure("element \(index + 1): \(error.reason)")
            }
        }
        return out
    }
}

/// PostgreSQL's array text format, one dimension.
enum PostgresArrayText {
    struct Malformed: Error {}

    /// Quotes an element when needed.
    static func quote(_ value: String) -> String {
        if value.isEmpty { return "\"\"" }
        var needs = value.utf8.count == 4 && value.uppercased() == "NULL"
        for c in value.utf8 where c == 34 || c == 92 || c == 123 || c == 125 || c == 44 || c == 32 || c == 9 || c == 10 || c == 13 {
            needs = true
            break
        }
        guard needs else { return value }
        var out = "\""
        for ch in value.unicodeScalars {
            if ch == "\"" || ch == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        return out + "\""
    }

    /// Splits `{a,"b c",NULL}` into its elements; nested arrays are refused.
    static func parse(_ text: String) throws(Malformed) -> [String?] {
        var scalars = Array(text.unicodeScalars)
        // Skip an optional dimension decoration such as "[0:2]=".
        if scalars.first == "[", let eq = scalars.firstIndex(of: "=") { scalars.removeSubrange(0...eq) }
        guard scalars.first == "{", scalars.last == "}" else { throw Malformed() }
        var out: [String?] = []
        var i = 1
        let end = scalars.count - 1
        if i == end { return [] }
        while i <= end {
            if scalars[i] == "\"" {
                var value = String.UnicodeScalarView()
                i += 1
                while i < end, scalars[i] != "\"" {
                    if scalars[i] == "\\" { i += 1 }
                    guard i < end else { throw Malformed() }
                    value.append(scalars[i])
                    i += 1
                }
                guard i < end else { throw Malformed() }
                i += 1
                out.append(String(value))
            } else {
                guard scalars[i] != "{" else { throw Malformed() }
                var value = String.UnicodeScalarView()
                while i < end, scalars[i] != "," {
                    value.append(scalars[i])
                    i += 1
                }
                let s = String(value)
                out.append(s == "NULL" ? nil : s)
            }
            if i == end { break }
            guard scalars[i] == "," else { throw Malformed() }
            i += 1
        }
        return out
    }
}

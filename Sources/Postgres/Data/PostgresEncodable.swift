public import Foundation

/// A Swift value that can be sent to PostgreSQL as a query parameter, in text format.
public protocol PostgresEncodable: Sendable {
    /// The parameter's type sent with the query; `.unspecified` lets the server infer it.
    static var postgresType: PostgresType { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
    /// Appends the value as an element of an array's text (`{…}`): quoted when it needs to be,
    /// `NULL` for nil.
    func appendArrayElement(to text: inout String)
}

extension PostgresEncodable {
    public func appendArrayElement(to text: inout String) {
        text += PostgresArrayText.quote(postgresText)
    }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String { String(self) }
}

/// An integer is sent as its decimal text, which an array never needs to quote.
extension PostgresEncodable where Self: BinaryInteger {
    public var postgresText: String { String(self) }
    public func appendArrayElement(to text: inout String) {
        text += String(self)
    }
}

extension Int: PostgresEncodable { public static var postgresType: PostgresType { .int8 } }
extension Int64: PostgresEncodable { public static var postgresType: PostgresType { .int8 } }
extension Int32: PostgresEncodable { public static var postgresType: PostgresType { .int4 } }
extension Int16: PostgresEncodable { public static var postgresType: PostgresType { .int2 } }

extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String { self ? "t" : "f" }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String { uuidString.lowercased() }
}

extension Decimal: PostgresEncodable {
    public static var postgresType: PostgresType { .numeric }
    public var postgresText: String {
        var value = self
        return NSDecimalString(&value, Locale(identifier: "en_US_POSIX"))
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public var postgresText: String { PostgresDateFormat.timestamptzText(self) }
}

extension Data: PostgresEncodable {
    public static var postgresType: PostgresType { .bytea }
    public var postgresText: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        bytes.reserveCapacity(2 + count * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A calendar date with no time of day (PostgreSQL `date`).
public struct PostgresDate: Hashable, Comparable, Sendable, CustomStringConvertible, PostgresEncodable {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Creates a date; no validation beyond what PostgreSQL does when it receives it.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; nil for anything else or an impossible date.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= PostgresDate.daysIn(month: m, year: y)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static var postgresType: PostgresType { .date }
    public var postgresText: String { description }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : "\(month)", d = day < 10 ? "0\(day)" : "\(day)"
        return "\(String(repeating: "0", count: max(0, 4 - y.count)))\(y)-\(m)-\(d)"
    }

    public static func < (a: PostgresDate, b: PostgresDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// The day before.
    public var dayBefore: PostgresDate {
        if day > 1 { return PostgresDate(year: year, month: month, day: day - 1) }
        if month > 1 { return PostgresDate(year: year, month: month - 1, day: Self.daysIn(month: month - 1, year: year)) }
        return PostgresDate(year: year - 1, month: 12, day: 31)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    /// Only used when not nil; bindings send NULL for nil.
    public var postgresText: String { self?.postgresText ?? "" }
    public func appendArrayElement(to text: inout String) {
        if let self { self.appendArrayElement(to: &text) } else { text += "NULL" }
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: PostgresType {
        switch Element.postgresType {
        case .int8: .int8Array
        case .int4: .int4Array
        case .int2: .int2Array
        case .bool: .boolArray
        case .float8: .float8Array
        case .uuid: .uuidArray
        case .numeric: .numericArray
        case .timestamptz: .timestamptzArray
        case .date: .dateArray
        case .bytea: .byteaArray
        default: .textArray
        }
    }

    public var postgresText: String {
        // Integers, the bulk of the large arrays sent, are written digit by digit into one buffer.
        switch self {
        case let values as [Int64]: return PostgresArrayText.integers(values.lazy.map { $0 })
        case let values as [Int]: return PostgresArrayText.integers(values.lazy.map { Int64($0) })
        case let values as [Int64?]: return PostgresArrayText.integers(values.lazy.map { $0 })
        case let values as [Int16?]: return PostgresArrayText.integers(values.lazy.map { $0.map(Int64.init) })
        case let values as [Int32]: return PostgresArrayText.integers(values.lazy.map { Int64($0) })
        case let values as [Int16]: return PostgresArrayText.integers(values.lazy.map { Int64($0) })
        default: break
        }
        var out = "{"
        out.reserveCapacity(2 + count * 8)
        for (i, element) in enumerated() {
            if i > 0 { out += "," }
            element.appendArrayElement(to: &out)
        }
        return out + "}"
    }
}


/// Lets a binding see through optionals without knowing their wrapped type.
protocol _PostgresOptionalMarker { var _isNil: Bool { get } }
extension Optional: _PostgresOptionalMarker { var _isNil: Bool { self == nil } }

extension PostgresArrayText {
    /// `{1,-2,NULL}`: integers (nil as NULL) in an array's text, written into one buffer.
    static func integers(_ values: some Collection<Int64?>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + values.count * 8)
        bytes.append(UInt8(ascii: "{"))
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var first = true
        for value in values {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            guard let value else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            withUnsafeMutableBytes(of: &digits) { buffer in
                var count = 0
                repeat {
                    buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                    count += 1
                } while magnitude > 0
                while count > 0 {
                    count -= 1
                    bytes.append(buffer[count])
                }
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

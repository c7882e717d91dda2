public import Foundation

/// Writes JSON from the values representations are built of — dictionaries with string keys,
/// arrays, strings, integers, floating-point numbers, booleans, `NSNull` and `nil` — with keys
/// in byte order, slashes unescaped and text as UTF-8.
///
/// Foundation's `JSONSerialization` with sorted keys compares keys through the locale on Linux,
/// which cost more than the rest of an API request; this writer compares bytes.
public enum JSONText {
    /// The JSON text of `value`; values of other types are written as `null`.
    public static func bytes(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The JSON text of `value`, as a string.
    public static func string(_ value: Any) -> String { String(decoding: bytes(value), as: UTF8.self) }

    static func write(_ value: Any, into out: inout [UInt8]) {
        // The types representations are made of, told apart by their exact type first: a
        // failed cast costs more than writing the value, and the chain below tries many.
        let valueType = ObjectIdentifier(Swift.type(of: value))
        if valueType == ObjectIdentifier(String.self) {
            return writeString(value as! String, into: &out)
        } else if valueType == ObjectIdentifier(Int64.self) {
            return out.append(contentsOf: String(value as! Int64).utf8)
        } else if valueType == ObjectIdentifier(Int.self) {
            return out.append(contentsOf: String(value as! Int).utf8)
        } else if valueType == ObjectIdentifier(NSNull.self) {
            return out.append(contentsOf: "null".utf8)
        } else if valueType == ObjectIdentifier([String: Any].self) {
            return writeObject(value as! [String: Any], into: &out)
        } else if valueType == ObjectIdentifier([[String: Any]].self) {
            out.append(UInt8(ascii: "["))
            for (i, element) in (value as! [[String: Any]]).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeObject(element, into: &out)
            }
            return out.append(UInt8(ascii: "]"))
        } else if valueType == ObjectIdentifier(Bool.self) {
            return out.append(contentsOf: (value as! Bool) ? "true".utf8 : "false".utf8)
        } else if valueType == ObjectIdentifier(Double.self) {
            return writeNumber(value as! Double, into: &out)
        }
        // Numbers and booleans parsed by JSONSerialization are NSNumber objects, which also
        // cast to Bool and Int: tell them apart by their class first.
        if type(of: value) is NSNumber.Type, let number = value as? NSNumber {
            if String(describing: type(of: value)) == "__NSCFBoolean" {
                out.append(contentsOf: number.boolValue ? Array("true".utf8) : Array("false".utf8))
            } else {
                let d = number.doubleValue
                if d == d.rounded(), abs(d) < 9e15 { out.append(contentsOf: String(number.int64Value).utf8) } else { writeNumber(d, into: &out) }
            }
            return
        }
        switch value {
        case let s as String: writeString(s, into: &out)
        case let b as Bool: out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case let n as Int: out.append(contentsOf: String(n).utf8)
        case let n as Int64: out.append(contentsOf: String(n).utf8)
        case let n as Int32: out.append(contentsOf: String(n).utf8)
        case let n as Int16: out.append(contentsOf: String(n).utf8)
        case let n as UInt64: out.append(contentsOf: String(n).utf8)
        case let n as UInt: out.append(contentsOf: String(n).utf8)
        case let d as Double: writeNumber(d, into: &out)
        case let f as Float: writeNumber(Double(f), into: &out)
        case let d as Decimal: out.append(contentsOf: d.description.utf8)
        case let s as Substring: writeString(String(s), into: &out)
        case let object as [String: Any]:
            writeObject(object, into: &out)
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, element) in array.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            // NSNull, nil (an Optional held in Any) and anything else.
            out.append(contentsOf: "null".utf8)
        }
    }

    /// An object, its keys in byte order (so the same object always reads the same).
    static func writeObject(_ object: [String: Any], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        // Only the keys are sorted: moving values of type Any about costs more than looking them up.
        for key in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(object[key]!, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func writeNumber(_ d: Double, into out: inout [UInt8]) {
        guard d.isFinite else { return out.append(contentsOf: "null".utf8) }
        if d == d.rounded(), abs(d) < 1e15 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: "\(d)".utf8)
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONText {
    /// Writes JSON straight from typed values, for the responses served most often: no
    /// dictionary of `Any` to build, box and sort. The caller gives an object's keys in byte
    /// order, as `bytes` writes them.
    public struct Writer {
        public private(set) var bytes: [UInt8] = []
        private var needsComma = false

        public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

        private mutating func separate() {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
            needsComma = false
        }

        public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")) }
        public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
        public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")) }
        public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

        /// A key of the object being written.
        public mutating func key(_ key: StaticString) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: "\":".utf8)
        }

        public mutating func value(_ string: String) { separate(); JSONText.writeString(string, into: &bytes); needsComma = true }
        public mutating func value(_ string: String?) { string.map { value($0) } ?? null() }
        public mutating func value(_ number: Int64) { separate(); bytes.append(contentsOf: String(number).utf8); needsComma = true }
        public mutating func value(_ number: Int) { value(Int64(number)) }
        public mutating func value(_ number: Int?) { number.map { value(Int64($0)) } ?? null() }
        public mutating func value(_ number: Int64?) { number.map { value($0) } ?? null() }
        public mutating func value(_ number: Double?) {
            guard let number else { return null() }
            separate()
            JSONText.writeNumber(number, into: &bytes)
            needsComma = true
        }
        public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8); needsComma = true }
    }

    /// RFC 3339 in UTC to the second (`2025-07-01T00:00:00Z`), as Foundation's ISO 8601 style
    /// writes it, without its cost.
    public static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var rest = seconds - days * 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        // Civil date from days since 1970-01-01 (proleptic Gregorian).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : String(v) }
        let year = String(y)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}

extension JSONText {
    /// The first member named twice in one object of `json`, at any depth, as a path
    /// (`value`, `breakdown.sex`, `weights[2].unit_id`); nil when every object names each member once.
    ///
    /// Decoders disagree on such a body (Foundation keeps the first member, PostgreSQL's `jsonb`
    /// and most parsers the last), so a body that has one is refused rather than read either way.
    /// Names are compared as decoded strings, so `"value"` and `"\u0076alue"` are the same member.
    /// `json` must be valid JSON text (parse it first): this only walks it.
    public static func duplicateMember(in json: [UInt8]) -> String? {
        var scanner = DuplicateScanner(bytes: json)
        return scanner.value(path: "")
    }
}

/// Walks valid JSON text, keeping the names seen in each object.
private struct DuplicateScanner {
    let bytes: [UInt8]
    var index = 0

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// Walks one value; returns the path of the first duplicate member in it.
    mutating func value(path: String) -> String? {
        skipSpace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var names: Set<String> = []
            while true {
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                let name = string()
                let memberPath = path.isEmpty ? name : "\(path).\(name)"
                guard names.insert(name).inserted else { return memberPath }
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
                if let duplicate = value(path: memberPath) { return duplicate }
            }
        case UInt8(ascii: "["):
            index += 1
            var position = 0
            while true {
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; position += 1; continue }
                if let duplicate = value(path: "\(path)[\(position)]") { return duplicate }
            }
        case UInt8(ascii: "\""):
            _ = string()
            return nil
        default:
            // A number, true, false or null.
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index += 1
            }
            return nil
        }
    }

    /// Reads a string at `index` (its opening quote) and returns it decoded.
    mutating func string() -> String {
        index += 1
        var utf8: [UInt8] = []
        var pendingHighSurrogate: UInt32?
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < bytes.count else {
                utf8.append(byte)
                continue
            }
            let escape = bytes[index]
            index += 1
            let scalar: UInt32
            switch escape {
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                let end = min(index + 4, bytes.count)
                let code = UInt32(String(decoding: bytes[index..<end], as: UTF8.self), radix: 16) ?? 0xFFFD
                index = end
                if (0xD800..<0xDC00).contains(code) {
                    pendingHighSurrogate = code
                    continue
                }
                if (0xDC00..<0xE000).contains(code), let high = pendingHighSurrogate {
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                } else {
                    scalar = code
                }
            default: scalar = UInt32(escape)
            }
            pendingHighSurrogate = nil
            utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
        }
        index += 1
        return String(decoding: utf8, as: UTF8.self)
    }
}

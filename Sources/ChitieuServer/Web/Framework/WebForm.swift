import Foundation

/// A form a page posted (`application/x-www-form-urlencoded`), its text in NFC. Read once by
/// `WebSessionMiddleware`, which checks its CSRF token; handlers find it in `context.form`.
struct WebForm: Sendable {
    /// The fields in the order sent (a name may come more than once: check boxes).
    var fields: [(name: String, value: String)]

    /// The first value of a field, nil when absent.
    subscript(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Every value of a field (check boxes, multiple selects).
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// The field's value with surrounding spaces trimmed; nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Parses an urlencoded body: `+` is a space, `%XX` a byte; malformed escapes are kept as typed.
    static func parse(_ body: String) -> WebForm {
        func decode(_ part: Substring) -> String {
            let spaced = part.replacingOccurrences(of: "+", with: " ")
            return (spaced.removingPercentEncoding ?? spaced).precomposedStringWithCanonicalMapping
        }
        let fields = body.split(separator: "&", omittingEmptySubsequences: true).map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        }
        return WebForm(fields: fields)
    }
}

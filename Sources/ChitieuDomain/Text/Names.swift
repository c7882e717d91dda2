import Foundation

/// Rules for names people type or import: Vietnamese text is stored NFC, trimmed, with no
/// control characters.
public enum Names {
    /// The NFC form of a name, trimmed of surrounding white space.
    public static func normalized(_ text: some StringProtocol) -> String {
        String(text).precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
    }

    /// Why a name is not acceptable, or nil when it is.
    public static func problem(with name: String, maxLength: Int) -> String? {
        if name.isEmpty { return "is empty" }
        if name.count > maxLength { return "is longer than \(maxLength) characters" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        return nil
    }

    /// Why a name is not acceptable, as an error naming `field`, or nil when it is.
    public static func error(_ field: String, with name: String, maxLength: Int) -> ChitieuError? {
        if name.isEmpty { return ChitieuError(.invalid, field: field, .empty) }
        if name.count > maxLength { return ChitieuError(.invalid, field: field, .tooLong, ["maximum": .count(maxLength)]) }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return ChitieuError(.invalid, field: field, .controlCharacter)
        }
        return nil
    }
}

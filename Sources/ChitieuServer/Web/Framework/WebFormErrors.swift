import ChitieuStore

/// The errors of a form, by field, in Vietnamese: shown in a list above the form and beside
/// each field, with what was typed kept.
struct WebFormErrors: Sendable {
    private(set) var items: [(field: String, message: String)] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func add(_ field: String, _ message: String) { items.append((field, message)) }

    /// The message of a field, for `{{fieldError}}` beside it.
    subscript(_ field: String) -> String? { items.first { $0.field == field }?.message }

    /// `hasErrors` and `errors` for the `{{> errors}}` partial.
    var values: [String: Any] {
        ["hasErrors": !items.isEmpty, "errors": items.map { ["field": $0.field, "message": $0.message] }]
    }
}

import Foundation
import Hummingbird

/// A page's query string, read leniently: a value that is not of the expected form is as if
/// absent, or (`id`) a page that does not exist.
struct WebQuery {
    let parameters: [String: String]

    init(_ request: Request) {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where parameters[String(key)] == nil {
            parameters[String(key)] = String(value).precomposedStringWithCanonicalMapping
        }
        self.parameters = parameters
    }

    /// The parameter's text, nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = parameters[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number, nil when absent, empty or not a number.
    func integer(_ name: String) -> Int? { self[name].flatMap { Int($0) } }

    /// An id (a unit's, a result's): nil when absent; not a positive number → the 404 page.
    func id(_ name: String) throws -> Int64? {
        guard let text = self[name] else { return nil }
        guard let id = Int64(text), id > 0 else { throw WebError.notFound }
        return id
    }

    /// What a query string's value keeps unescaped (made once: it is costly to make).
    static let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A query string of the given parameters (nil values left out), escaped, with its `?`.
    static func string(_ items: [(String, String?)]) -> String {
        let parts = items.compactMap { key, value in value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}

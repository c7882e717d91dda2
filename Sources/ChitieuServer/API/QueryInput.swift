import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// The query parameters of a request, read one by one so every error names its parameter.
struct QueryInput {
    let parameters: Parameters

    init(_ request: Request) {
        parameters = request.uri.queryParameters
    }

    /// A text parameter: at most `maxBytes`, no NUL.
    func string(_ name: String, maxBytes: Int = 200) throws -> String? {
        guard let value = parameters.get(name) else { return nil }
        guard value.utf8.count <= maxBytes else { throw BodyError.invalid(name, "is longer than \(maxBytes) bytes") }
        guard !value.utf8.contains(0) else { throw BodyError.invalid(name, "contains a NUL character") }
        return String(value)
    }

    /// An integer parameter within `range`.
    func integer(_ name: String, in range: ClosedRange<Int64> = 1...Int64.max) throws -> Int64? {
        guard let value = parameters.get(name) else { return nil }
        guard let n = Int64(value), range.contains(n) else {
            throw BodyError.invalid(name, "'\(value.prefix(40))' is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// A date parameter, `YYYY-MM-DD`.
    func date(_ name: String) throws -> PostgresDate? {
        guard let value = parameters.get(name) else { return nil }
        guard let date = PostgresDate(value) else { throw BodyError.invalid(name, "'\(value.prefix(40))' is not a date (YYYY-MM-DD)") }
        return date
    }

    /// `limit`: 1 to 1000, 100 when absent.
    func limit() throws -> Int {
        Int(try integer("limit", in: 1...1000) ?? 100)
    }

    /// `cursor`: the id of the last item of the previous page, as this server gave it.
    func idCursor() throws -> Int64? {
        guard let value = parameters.get("cursor") else { return nil }
        guard let id = Int64(value), id > 0 else { throw BodyError.invalid("cursor", "is not a cursor this server gave") }
        return id
    }

    /// A value that must be one of `allowed`.
    func oneOf(_ name: String, _ allowed: [String]) throws -> String? {
        guard let value = parameters.get(name) else { return nil }
        guard allowed.contains(String(value)) else {
            throw BodyError.invalid(name, "'\(value.prefix(40))' is not one of \(allowed.joined(separator: ", "))")
        }
        return String(value)
    }
}

/// The body of a page of a list: its items and the cursor of the next page (null on the last).
func page(_ items: [[String: Any]], limit: Int, cursor: () -> String) -> [String: Any] {
    ["items": items, "next_cursor": items.count == limit ? cursor() as Any : NSNull() as Any]
}

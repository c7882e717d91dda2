import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// A JSON value as a client sent it.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The members of a JSON object body, read field by field so every error names its field.
struct JSONInput {
    let members: [String: JSONValue]

    /// Reads the body: at most the context's upload size (413), JSON (400 when malformed or not
    /// UTF-8), each member named once in its object at any depth (422 names a repeated one), an
    /// object (400), with only the `allowed` members (422 names an unknown one).
    static func read(_ request: Request, context: AppRequestContext, allowed: Set<String>) async throws -> JSONInput {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw HTTPError(.unsupportedMediaType, message: "the body must be application/json, not \(type.prefix(100))")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw BodyError.malformed("the request needs a JSON object body") }
        guard String(validating: data, as: UTF8.self) != nil else { throw BodyError.malformed("the body is not valid UTF-8") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw BodyError.malformed("the body is not valid JSON")
        }
        // The decoder keeps the first of two members with one name, where others keep the last.
        if let duplicate = JSONText.duplicateMember(in: Array(data)) {
            throw BodyError.invalid(String(duplicate.prefix(100)), "is given more than once; send each member once")
        }
        guard case .object(let members) = value else { throw BodyError.malformed("the body must be a JSON object, not \(value.kindName)") }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw BodyError.invalid(String(unknown.prefix(100)), "is not a member of this request (accepted: \(allowed.sorted().joined(separator: ", ")))")
        }
        return JSONInput(members: members)
    }

    func string(_ field: String, maxBytes: Int = 10_000) throws -> String? {
        switch members[field] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.utf8.count <= maxBytes else { throw BodyError.invalid(field, "is longer than \(maxBytes) bytes") }
            guard !text.utf8.contains(0) else { throw BodyError.invalid(field, "contains a NUL character") }
            return text
        case let other?: throw BodyError.invalid(field, "must be a string, not \(other.kindName)")
        }
    }

    /// A member that must be there and not null, read by `read`.
    func required<T>(_ field: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(field) else { throw ChitieuError.required(field) }
        return value
    }

    func requiredString(_ field: String, maxBytes: Int = 10_000) throws -> String {
        try required(field) { try string($0, maxBytes: maxBytes) }
    }

    func integer(_ field: String) throws -> Int64? {
        switch members[field] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        case let other?: throw BodyError.invalid(field, "must be an integer, not \(other.kindName)")
        }
    }

    func requiredInteger(_ field: String) throws -> Int64 { try required(field, integer) }

    func boolean(_ field: String) throws -> Bool? {
        switch members[field] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw BodyError.invalid(field, "must be true or false, not \(other.kindName)")
        }
    }

    func date(_ field: String) throws -> PostgresDate? {
        guard let text = try string(field, maxBytes: 10) else { return nil }
        guard let date = PostgresDate(text), (1900...2200).contains(date.year) else {
            throw BodyError.invalid(field, "'\(text)' is not a date (YYYY-MM-DD, years 1900 to 2200)")
        }
        return date
    }
}

extension Parameters {
    /// A path parameter that must be a positive integer id (404 otherwise: no such thing).
    func id(_ name: String, what: String) throws -> Int64 {
        guard let text = get(name), let id = Int64(text), id > 0 else { throw ChitieuError.notFound(what) }
        return id
    }

    /// A path parameter that must be a UUID (404 otherwise).
    func uuid(_ name: String, what: String) throws -> UUID {
        guard let text = get(name), let id = UUID(uuidString: text) else { throw ChitieuError.notFound(what) }
        return id
    }
}

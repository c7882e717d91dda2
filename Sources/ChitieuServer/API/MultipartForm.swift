import ChitieuDomain
import MultipartKit
import NIOCore

/// The fields of a `multipart/form-data` body, read with multipart-kit's parser.
enum MultipartForm {
    /// The boundary of a `multipart/form-data` content type, or nil.
    static func boundary(_ contentType: String) -> String? {
        parameter("boundary", of: contentType).flatMap { (1...70).contains($0.utf8.count) ? $0 : nil }
    }

    /// A parameter of a header value (`boundary` of a content type, `name` of a disposition), unquoted.
    static func parameter(_ wanted: String, of value: String) -> String? {
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == wanted else { continue }
            return pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
        }
        return nil
    }

    /// The parts by their `name` (the first of a name wins); a body that is not multipart is malformed.
    static func parse(_ body: ByteBuffer, boundary: String) throws -> [String: ByteBuffer] {
        var fields: [String: ByteBuffer] = [:]
        for part in try parts(body, boundary: boundary) where fields[part.name] == nil { fields[part.name] = part.body }
        return fields
    }

    /// A part of a form: its field name, its file name when it is a file, its bytes.
    struct Part {
        var name: String
        var filename: String?
        var body: ByteBuffer
    }

    /// The named parts in the order sent (multipart-kit's parser); a body that is not multipart is malformed.
    static func parts(_ body: ByteBuffer, boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var disposition: String?
        var current = ByteBuffer()
        parser.onHeader = { field, value in
            if field.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { chunk in current.writeBuffer(&chunk) }
        parser.onPartComplete = {
            if let disposition, let name = Self.parameter("name", of: disposition) {
                parts.append(Part(name: name, filename: Self.parameter("filename", of: disposition), body: current))
            }
            disposition = nil
            current = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw ChitieuError(.malformed, "the body is not multipart/form-data with the boundary its Content-Type gives")
        }
        return parts
    }
}

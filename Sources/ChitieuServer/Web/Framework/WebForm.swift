import ChitieuDomain
import Foundation
import Hummingbird
import NIOCore

/// A form a page posted (`application/x-www-form-urlencoded`, or `multipart/form-data` with a
/// file), its text in NFC. Read once by `WebSessionMiddleware`, which checks its CSRF token;
/// handlers find it in `context.form`.
struct WebForm: Sendable {
    /// The fields in the order sent (a name may come more than once: check boxes).
    var fields: [(name: String, value: String)]
    /// The files of a multipart form, by field name.
    var files: [String: File] = [:]

    /// A file sent with a form.
    struct File: Sendable {
        var filename: String
        var data: Data
    }

    /// The largest file a form may send (the 413 page beyond).
    static let maximumFileBytes = ImportsController.maximumFileBytes

    /// The form of a POST: multipart (a file and fields, the file up to `maximumFileBytes`) or
    /// urlencoded (up to the context's 1 MiB). Throws `UploadTooLarge` for a larger body.
    static func read(_ request: Request, context: AppRequestContext) async throws -> WebForm {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            var request = request
            return parse(String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
        }
        guard let boundary = MultipartForm.boundary(contentType) else { throw ChitieuError(.malformed, "a multipart form without a boundary") }
        let body = try await ImportsController.collect(request.body, upTo: maximumFileBytes + ImportsController.envelopeBytes)
        var form = WebForm(fields: [])
        for part in try MultipartForm.parts(body, boundary: boundary) {
            if let filename = part.filename {
                guard part.body.readableBytes <= maximumFileBytes else { throw UploadTooLarge() }
                form.files[part.name] = File(filename: filename.precomposedStringWithCanonicalMapping, data: Data(part.body.readableBytesView))
            } else {
                form.fields.append((name: part.name, value: String(buffer: part.body).precomposedStringWithCanonicalMapping))
            }
        }
        return form
    }

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

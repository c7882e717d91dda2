import ChitieuDomain
import Foundation
import Hummingbird

/// An RFC 9457 problem document (`application/problem+json`).
struct Problem: Sendable {
    /// A stable identifier of the kind of problem (becomes `/problems/<type>`).
    var type: String
    var title: String
    var status: HTTPResponse.Status
    var detail: String
    /// The invalid fields: (field, rule).
    var errors: [(String, String)] = []
    var headers: HTTPFields = [:]
    /// The `ChitieuError` code, for clients that act on the kind of problem.
    var code: String? = nil

    /// Every connection of the pool stayed in use for the pool's acquire timeout: the database
    /// answers, this daemon has more work than connections. Counted in `chitieu_db_pool_timeouts_total`.
    static let databaseBusy = Problem(
        type: "database-busy", title: "Database busy", status: .serviceUnavailable,
        detail: "every database connection of this server is in use; try again shortly", headers: [.retryAfter: "2"])

    func response(requestID: String? = nil) -> Response {
        var object: [String: Any] = [
            "type": "/problems/\(type)", "title": title, "status": status.code, "detail": detail,
        ]
        if let code { object["code"] = code }
        if !errors.isEmpty { object["errors"] = errors.map { ["field": $0.0, "detail": $0.1] } }
        if let requestID, !requestID.isEmpty { object["request_id"] = requestID }
        var response = JSONBody.response(status, object, contentType: "application/problem+json")
        for field in headers { response.headers.append(field) }
        return response
    }
}

extension Problem {
    /// The problem of a `ChitieuError`, in a language: its status from its code, its detail the
    /// catalogue's message, its field in `errors`.
    init(_ error: ChitieuError, language: Language) {
        let message = error.message(in: language)
        self.init(
            type: error.code == .invalid ? "invalid-input" : error.code.name.replacingOccurrences(of: "_", with: "-"),
            title: error.code.title(in: language), status: error.code.status, detail: message,
            errors: error.field.map { [($0, language == .en ? error.reason : message)] } ?? [], code: error.code.name)
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer realm=\"chitieu\"" }
        if let seconds = error.retryAfter { headers[.retryAfter] = String(seconds) }
    }
}

extension ChitieuError.Code {
    /// The HTTP status of an error with this code.
    var status: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict, .staleVersion, .wrongState, .locked, .unitEnded, .deadlinePassed: .conflict
        case .rateLimited: .tooManyRequests
        default: .unprocessableContent
        }
    }
}

/// JSON responses.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, bytes: [UInt8], contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response(_ status: HTTPResponse.Status, _ object: Any, contentType: String = "application/json") -> Response {
        response(status, bytes: JSONText.bytes(object), contentType: contentType)
    }
}

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

    /// Every connection of the pool stayed in use for the pool's acquire timeout: the database
    /// answers, this daemon has more work than connections. Counted in `chitieu_db_pool_timeouts_total`.
    static let databaseBusy = Problem(
        type: "database-busy", title: "Database busy", status: .serviceUnavailable,
        detail: "every database connection of this server is in use; try again shortly", headers: [.retryAfter: "2"])

    func response(requestID: String? = nil) -> Response {
        var object: [String: Any] = [
            "type": "/problems/\(type)", "title": title, "status": status.code, "detail": detail,
        ]
        if !errors.isEmpty { object["errors"] = errors.map { ["field": $0.0, "detail": $0.1] } }
        if let requestID, !requestID.isEmpty { object["request_id"] = requestID }
        var response = JSONBody.response(status, object, contentType: "application/problem+json")
        for field in headers { response.headers.append(field) }
        return response
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

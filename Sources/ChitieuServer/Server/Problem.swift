import Foundation
import Hummingbird

/// An RFC 9457 problem document (`application/problem+json`).
struct Problem: Sendable {
    /// A stable identifier of the kind of problem (becomes `/problems/<type>`).
    var type: String
    var title: String
    var status: HTTPResponse.Status
    var detail: String

    func response() -> Response {
        let object: [String: Any] = [
            "type": "/problems/\(type)", "title": title, "status": status.code, "detail": detail,
        ]
        return JSONBody.response(status, object, contentType: "application/problem+json")
    }
}

/// JSON responses.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ object: [String: Any], contentType: String = "application/json") -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

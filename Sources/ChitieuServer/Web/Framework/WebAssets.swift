import ChitieuCrypto
import Foundation
import HTTPTypes
import Hummingbird

/// A file the pages load (stylesheet, script), compiled into the binary so an installed daemon
/// needs no files beside it, and served under a name that carries its digest.
struct WebAsset: Sendable {
    /// The file's bytes.
    let bytes: [UInt8]
    let contentType: String
    /// `name.<digest>.ext`: a changed file gets a new name, so it may be cached for a year.
    let hashedName: String

    init(name: String, ext: String, contentType: String, text: String) {
        bytes = Array(text.utf8)
        self.contentType = contentType
        let digest = SHA256.hash(bytes).prefix(6).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        hashedName = "\(name).\(digest).\(ext)"
    }

    /// The path pages link to.
    var path: String { "\(WebPath.assets)/\(hashedName)" }
}

/// The assets and their route.
enum WebAssets {
    /// Every asset served. (A script would be added here; pages never carry inline script.)
    static let all: [WebAsset] = [stylesheet, resultFormScript]

    static let byName: [String: WebAsset] = Dictionary(uniqueKeysWithValues: all.map { ($0.hashedName, $0) })

    /// `GET /assets/<name>`: the asset, cached for a year as immutable; any other name is 404.
    static func addRoutes(to router: Router<AppRequestContext>) {
        router.get("assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = byName[name] else {
                throw HTTPError(.notFound)
            }
            var headers = HTTPFields()
            headers[.contentType] = asset.contentType
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            headers[.xContentTypeOptions] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
    }
}

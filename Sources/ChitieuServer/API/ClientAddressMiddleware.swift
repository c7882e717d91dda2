import HTTPTypes
import Hummingbird

/// Finds the client's address. Behind a reverse proxy every connection comes from the proxy,
/// so when the peer is one of the `trusted` proxies the address is the rightmost entry of
/// `X-Forwarded-For` that is not itself a trusted proxy. A client cannot forge it: entries it
/// wrote itself are further left.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trusted: Set<String>

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = Self.address(peer: context.remoteAddress?.ipAddress, forwarded: request.headers[values: Self.forwardedFor], trusted: trusted)
        // Only a trusted proxy's word counts: a client could write the header itself.
        if let peer = context.remoteAddress?.ipAddress, trusted.contains(peer) {
            context.overHTTPS = request.headers[Self.forwardedProto]?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
        }
        return try await next(request, context)
    }

    static func address(peer: String?, forwarded: [String], trusted: Set<String>) -> String? {
        guard let peer, trusted.contains(peer) else { return peer }
        let hops = forwarded.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trusted.contains($0) } ?? peer
    }
}

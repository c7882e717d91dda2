import ChitieuStore
import Hummingbird

/// Requires `Authorization: Bearer <token>` and puts the caller it stands for in the context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator
    /// The daemon's verified tokens: a change to accounts, grants or sessions made here is
    /// forgotten at once, before the database's announcement arrives.
    var cache: TokenCache?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw AccessError(.unauthenticated, "this route needs a bearer token (Authorization: Bearer …); POST /v1/sessions gives one")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw AccessError(.unauthenticated, "the Authorization header must be 'Bearer <token>'")
        }
        let token = String(parts[1].trimmingCharacters(in: .whitespaces))
        var context = context
        context.caller = try await authenticator.authenticate(bearer: token, requestID: context.requestID)
        context.bearer = token
        if let account = context.caller?.account { context.logger[metadataKey: "account"] = "\(account.username)" }
        let response = try await next(request, context)
        if let cache, request.method != .get, request.method != .head, case .account(let province)? = context.caller?.principal.kind,
            Self.changesAuthorization(request.uri.path)
        {
            cache.invalidate(province: province)
        }
        return response
    }

    /// Routes whose writes change what tokens stand for.
    static func changesAuthorization(_ path: String) -> Bool {
        path.hasPrefix("/v1/accounts") || path.hasPrefix("/v1/grants") || path.hasPrefix("/v1/sessions")
    }
}

import ChitieuDomain
import ChitieuStore
import Hummingbird

/// Requires `Authorization: Bearer <token>` and puts the caller it stands for in the context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ChitieuError(.unauthenticated, "this route needs a bearer token (Authorization: Bearer …); POST /v1/sessions gives one")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ChitieuError(.unauthenticated, "the Authorization header must be 'Bearer <token>'")
        }
        let token = String(parts[1].trimmingCharacters(in: .whitespaces))
        var context = context
        context.caller = try await authenticator.authenticate(bearer: token, requestID: context.requestID)
        context.bearer = token
        if let account = context.caller?.account { context.logger[metadataKey: "account"] = "\(account.username)" }
        return try await next(request, context)
    }
}

import ChitieuDomain
public import ChitieuStore
public import Hummingbird
import Logging
public import NIOCore

/// The context of one request: who calls, the request id, where from.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's `X-Request-Id` when it is acceptable, else a new UUID.
    public var requestID: String = ""
    /// The authenticated caller, set by `AuthenticationMiddleware`.
    public var caller: Caller?
    /// The bearer token presented (kept for logout; never logged).
    var bearer: String?
    public let remoteAddress: SocketAddress?
    /// The largest request body accepted.
    public var maxUploadSize: Int { 1 << 20 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The authenticated caller; the authentication middleware guarantees it on `/v1` routes.
    func requireCaller() throws -> Caller {
        guard let caller else { throw ChitieuError(.unauthenticated, "this route needs a bearer token (Authorization: Bearer …)") }
        return caller
    }

    /// The caller's province.
    func province() throws -> (Caller, Int64) {
        let caller = try requireCaller()
        guard case .account(let province) = caller.principal.kind else {
            throw ChitieuError(.forbidden, "the operator uses admin commands, not the API")
        }
        return (caller, province)
    }

    /// The client's address, for login throttling: the peer, or, when the peer is a trusted
    /// reverse proxy, the address it appended to `X-Forwarded-For` (set by `ClientAddressMiddleware`).
    public var clientAddress: String?
    /// Whether the client reached the server over HTTPS: a trusted reverse proxy said so with
    /// `X-Forwarded-Proto: https` (set by `ClientAddressMiddleware`). Session cookies are then `Secure`.
    public var overHTTPS = false
    /// A page's form, read from a POST and checked against its CSRF token by `WebSessionMiddleware`.
    var form: WebForm?
}

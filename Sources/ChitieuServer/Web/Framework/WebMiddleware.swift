import ChitieuDomain
import ChitieuCrypto
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The headers of every page: a Content-Security-Policy with no inline script or style and no
/// framing, no MIME sniffing, no referrer to other sites, and no caching of officers' figures.
struct WebHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// Sets the security headers on a page's response.
    static func secure(_ headers: inout HTTPFields) {
        headers[csp] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "same-origin"
        headers[frameOptions] = "DENY"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = WebErrorPage.response(WebErrorPage.page(for: error, context: context), context: context)
        }
        Self.secure(&response.headers)
        return response
    }
}

/// Reads the session cookie and checks every POST's CSRF token, before the page runs.
///
/// With `required`, a request without a valid session is sent to the sign-in page (a GET comes
/// back to where it was going afterwards). A POST's form is read here (urlencoded, up to 1 MiB;
/// or multipart with a file, up to 10 MiB, beyond which the 413 page) and put in `context.form`; its `_csrf` field must be the session's token — or, before there
/// is a session (the sign-in form), the value of the sign-in cookie. Otherwise: the 403 page,
/// and the page's handler never runs, so nothing changes.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let authenticator: Authenticator
    let required: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var expired = false
        if let token = request.cookies[WebSession.cookieName]?.value, !token.isEmpty {
            do {
                context.caller = try await authenticator.authenticate(bearer: token, requestID: context.requestID)
                context.bearer = token
                if let account = context.caller?.account { context.logger[metadataKey: "account"] = "\(account.username)" }
            } catch let error as ChitieuError where error.code == .unauthenticated {
                expired = true
            }
        }
        if required, context.caller == nil {
            let next = request.method == .get ? request.uri.description : nil
            var response = WebLayout.redirect(WebPath.signIn + (next.map { "?tiep=" + Self.queryEscaped($0) } ?? "") )
            if expired { response.setCookie(WebSession.expired(WebSession.cookieName, context: context)) }
            return response
        }
        if request.method == .post {
            let form = try await WebForm.read(request, context: context)
            let sent = form[WebSession.csrfField]
            if let token = context.bearer {
                guard WebSession.csrfMatches(sent, session: token) else { throw WebError.csrf }
            } else {
                guard let cookie = request.cookies[WebSession.signInCookieName]?.value, !cookie.isEmpty, let sent,
                      constantTimeEqual(Array(sent.utf8), Array(cookie.utf8)) else { throw WebError.csrf }
            }
            context.form = form
        }
        var response = try await next(request, context)
        if expired, context.caller == nil { response.setCookie(WebSession.expired(WebSession.cookieName, context: context)) }
        return response
    }

    /// A path and query as one query-string value.
    static func queryEscaped(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

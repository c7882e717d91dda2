import ChitieuCrypto
import Foundation
import Hummingbird

/// Sessions of the pages: a cookie that holds the same session token `POST /v1/sessions`
/// gives, and the CSRF token every form carries.
enum WebSession {
    /// The cookie with the session token.
    static let cookieName = "chitieu_session"
    /// The cookie that pairs with the sign-in form's token before there is a session.
    static let signInCookieName = "chitieu_signin"
    /// The hidden field every form carries.
    static let csrfField = "_csrf"

    /// The CSRF token of a session: a digest of its token. A page of another site can neither
    /// read the cookie nor work the token out, and any daemon of a deployment checks it alike.
    static func csrfToken(session token: String) -> String {
        Base64URL.encode(SHA256.hash(Array("chitieu csrf\u{0}\(token)".utf8)))
    }

    /// Whether `sent` is the CSRF token of the session, compared in constant time.
    static func csrfMatches(_ sent: String?, session token: String) -> Bool {
        guard let sent else { return false }
        return constantTimeEqual(Array(sent.utf8), Array(csrfToken(session: token).utf8))
    }

    /// The session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS.
    static func cookie(token: String, maxAge: Int, context: AppRequestContext) -> Cookie {
        Cookie(name: cookieName, value: token, maxAge: maxAge, path: "/", secure: context.overHTTPS, httpOnly: true, sameSite: .strict)
    }

    /// A cookie that ends `name` at once.
    static func expired(_ name: String, context: AppRequestContext) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: context.overHTTPS, httpOnly: true, sameSite: .strict)
    }

    /// A fresh random token for the sign-in form and its cookie.
    static func newSignInToken() -> String {
        Base64URL.encode((try? SecureRandom.bytes(32)) ?? Array(UUID().uuidString.utf8))
    }

    /// Where to go after signing in: a path of this site only (never `//host` or a full URL).
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.count < 2000,
              !raw.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return WebSection.dashboard.path }
        return raw
    }
}

extension AppRequestContext {
    /// The CSRF token forms of this request carry (empty without a session).
    var csrfToken: String { bearer.map(WebSession.csrfToken(session:)) ?? "" }
}

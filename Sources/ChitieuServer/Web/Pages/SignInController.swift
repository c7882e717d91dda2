import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Signing in and out, and changing one's own password.
struct SignInController {
    let authenticator: Authenticator
    /// How long a session lasts (the cookie's Max-Age), as the API's sessions.
    let sessionSeconds: Int

    /// Pages anyone may open (the session is optional).
    func addPublicRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/") { _, context in
            WebLayout.redirect(context.caller == nil ? WebPath.signIn : WebSection.dashboard.path)
        }
        group.get("dang-nhap") { request, context in
            if context.caller != nil { return WebLayout.redirect(WebSection.dashboard.path) }
            return signInPage(
                context: context, next: request.uri.queryParameters.get("tiep"), username: "", errors: WebFormErrors(),
                signedOut: request.uri.queryParameters.get("da-dang-xuat") != nil)
        }
        group.post("dang-nhap") { request, context in try await signIn(request, context) }
    }

    /// Pages that need a session.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("dang-xuat") { _, context in
            if let token = context.bearer, let caller = context.caller {
                try await authenticator.revoke(bearer: token, caller: caller)
            }
            var response = WebLayout.redirect(WebPath.signIn + "?da-dang-xuat=1")
            response.setCookie(WebSession.expired(WebSession.cookieName, context: context))
            return response
        }
        group.get("mat-khau") { request, context in
            let done = request.uri.queryParameters.get("da-doi") != nil
            return passwordPage(context: context, errors: WebFormErrors(), notice: done ? Self.changedNotice : nil)
        }
        group.post("mat-khau") { _, context in try await changePassword(context) }
    }

    static let signInTemplate = WebTemplate("""
        <div class="signin">
        <h1>Đăng nhập</h1>
        {{#signedOut}}<p class="notice" role="status">Bạn đã đăng xuất.</p>{{/signedOut}}
        {{> errors}}
        <form class="stack card" method="post" action="/dang-nhap">
        <input type="hidden" name="_csrf" value="{{signInToken}}">
        <input type="hidden" name="tiep" value="{{next}}">
        <label for="username">Tên đăng nhập</label>
        <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{{username}}">
        <label for="password">Mật khẩu</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <div class="actions"><button type="submit">Đăng nhập</button></div>
        </form>
        <p class="muted">Quên mật khẩu? Hãy nhờ cán bộ quản trị của tỉnh đặt lại.</p>
        </div>
        """)

    func signInPage(context: AppRequestContext, next: String?, username: String, errors: WebFormErrors, status: HTTPResponse.Status = .ok, signedOut: Bool = false) -> Response {
        // The form's token is paired with a cookie of the same value (there is no session yet).
        let token = WebSession.newSignInToken()
        var values = errors.values
        values["signInToken"] = token
        values["next"] = WebSession.safeNext(next)
        values["username"] = username
        values["signedOut"] = signedOut
        var response = WebLayout.response(WebPage(title: "Đăng nhập", body: Self.signInTemplate.render(values), status: status), context: context)
        response.setCookie(Cookie(
            name: WebSession.signInCookieName, value: token, maxAge: 3600, path: WebPath.signIn, secure: context.overHTTPS, httpOnly: true,
            sameSite: .strict))
        return response
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = context.form ?? WebForm(fields: [])
        let username = form.text("username") ?? ""
        let next = WebSession.safeNext(form["tiep"])
        var errors = WebFormErrors()
        if username.isEmpty { errors.add("username", "Hãy nhập tên đăng nhập.") }
        if (form["password"] ?? "").isEmpty { errors.add("password", "Hãy nhập mật khẩu.") }
        guard errors.isEmpty else { return signInPage(context: context, next: next, username: username, errors: errors, status: .unprocessableContent) }
        do {
            let token = try await authenticator.login(
                username: username, password: form["password"] ?? "", address: context.clientAddress, requestID: context.requestID)
            var response = WebLayout.redirect(next)
            response.setCookie(WebSession.cookie(token: token.secret, maxAge: sessionSeconds, context: context))
            response.setCookie(WebSession.expired(WebSession.signInCookieName, context: context))
            return response
        } catch let error as ChitieuError where [.rateLimited, .unauthenticated, .forbidden, .notFound].contains(error.code) {
            switch error.code {
            case .rateLimited where error.reason.contains("busy"):
                errors.add("username", "Máy chủ đang bận kiểm tra các lần đăng nhập khác. Hãy thử lại sau \(error.retryAfter ?? 1) giây.")
                return signInPage(context: context, next: next, username: username, errors: errors, status: .tooManyRequests)
            case .rateLimited:
                errors.add("username", "Đăng nhập sai quá nhiều lần. Hãy thử lại sau \(error.retryAfter ?? 60) giây.")
                return signInPage(context: context, next: next, username: username, errors: errors, status: .tooManyRequests)
            default:
                errors.add("password", "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khoá.")
                return signInPage(context: context, next: next, username: username, errors: errors, status: .unauthorized)
            }
        }
    }

    static let changedNotice = "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản này (trên máy khác) đã bị đăng xuất; phiên này vẫn tiếp tục."

    static let passwordTemplate = WebTemplate("""
        <h1>Đổi mật khẩu</h1>
        {{> errors}}
        <form class="stack card" method="post" action="/mat-khau">
        {{> csrf}}
        <label for="current_password">Mật khẩu hiện tại</label>
        <input id="current_password" name="current_password" type="password" autocomplete="current-password" required>
        {{#currentError}}<span class="field-error">{{currentError}}</span>{{/currentError}}
        <label for="new_password">Mật khẩu mới (ít nhất 10 ký tự)</label>
        <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="10" required>
        {{#newError}}<span class="field-error">{{newError}}</span>{{/newError}}
        <label for="new_password_again">Nhập lại mật khẩu mới</label>
        <input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" minlength="10" required>
        {{#againError}}<span class="field-error">{{againError}}</span>{{/againError}}
        <p class="muted">Sau khi đổi, các phiên đăng nhập khác của tài khoản (trên điện thoại, máy tính khác) sẽ bị đăng xuất.</p>
        <div class="actions"><button type="submit">Đổi mật khẩu</button></div>
        </form>
        """)

    func passwordPage(context: AppRequestContext, errors: WebFormErrors, notice: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var values = errors.values
        values["csrf"] = context.csrfToken
        values["currentError"] = errors["current_password"]
        values["newError"] = errors["new_password"]
        values["againError"] = errors["new_password_again"]
        return WebLayout.response(
            WebPage(title: "Đổi mật khẩu", body: Self.passwordTemplate.render(values), status: status, notice: notice), context: context,
            passwordPage: true)
    }

    func changePassword(_ context: AppRequestContext) async throws -> Response {
        let form = context.form ?? WebForm(fields: [])
        let caller = try context.requireCaller()
        let current = form["current_password"] ?? "", new = form["new_password"] ?? "", again = form["new_password_again"] ?? ""
        var errors = WebFormErrors()
        if current.isEmpty { errors.add("current_password", "Hãy nhập mật khẩu hiện tại.") }
        if new != again { errors.add("new_password_again", "Hai lần nhập mật khẩu mới không giống nhau.") }
        guard errors.isEmpty else { return passwordPage(context: context, errors: errors, status: .unprocessableContent) }
        do {
            _ = try await authenticator.changePassword(bearer: context.bearer ?? "", current: current, new: new, caller: caller)
        } catch let error as ChitieuError where error.code == .invalid {
            errors.add(error.field ?? "new_password", Self.message(error))
            return passwordPage(context: context, errors: errors, status: .unprocessableContent)
        } catch let error as ChitieuError where error.code == .rateLimited {
            errors.add("current_password", "Nhập sai quá nhiều lần. Hãy thử lại sau \(error.retryAfter ?? 60) giây.")
            return passwordPage(context: context, errors: errors, status: .tooManyRequests)
        }
        return WebLayout.redirect(WebPath.password + "?da-doi=1")
    }

    /// The store's password errors, in Vietnamese.
    static func message(_ error: ChitieuError) -> String {
        switch (error.field ?? "", error.reason) {
        case ("current_password", _): "Mật khẩu hiện tại không đúng."
        case ("new_password", let reason) where reason.contains("shorter"): "Mật khẩu mới phải có ít nhất 10 ký tự."
        case ("new_password", let reason) where reason.contains("longer"): "Mật khẩu mới dài quá 256 ký tự."
        case ("new_password", let reason) where reason.contains("same"): "Mật khẩu mới phải khác mật khẩu hiện tại."
        default: error.message(in: .vi)
        }
    }
}

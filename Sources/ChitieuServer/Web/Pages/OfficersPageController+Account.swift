import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// One account's page (`/can-bo/<id>`) and its forms.
extension OfficersPageController {
    /// A secret made by a form, shown on its answer only.
    enum Secret {
        case password(String)
        case token(String)
    }

    /// The account's page: its status, roles, integration tokens and forms; with the secret a
    /// form just made, or the form's errors (422).
    func account(
        _ id: UUID, context: AppRequestContext, notice: String? = nil, secret: Secret? = nil, errors: WebFormErrors = WebFormErrors(),
        typed: WebForm? = nil
    ) async throws -> Response {
        let (caller, province) = try context.province()
        let found = try await accounts.find(id: id, province: province, caller: caller)
        let (account, grants) = try await accounts.show(province: province, username: found.username, caller: caller)
        let tokens = try await services.authenticator.tokens(province: province, username: account.username, caller: caller)
            .filter { $0.kind == "integration" }
        let units = try await Self.units(services, province: province, caller: caller)
        let href = "\(Self.path)/\(account.id.uuidString.lowercased())"
        var values: [String: Any] = [
            "csrf": context.csrfToken, "href": href, "username": account.username, "name": account.displayName,
            "active": account.status == .active, "created": WebFormat.date(account.createdAt),
            "grants": grants.map { g -> [String: Any] in
                var item: [String: Any] = [
                    "id": g.id, "role": Self.label(g.role), "unit": g.unitName, "since": WebFormat.date(CalendarDate(g.validFrom)),
                ]
                if g.revokedAt != nil { item["revoked"] = true }
                return item
            },
            "tokens": tokens.map { t -> [String: Any] in
                var item: [String: Any] = ["id": t.id.uuidString.lowercased(), "name": t.name ?? "(không tên)", "created": WebFormat.dateTime(t.createdAt)]
                if let expires = t.expiresAt { item["expires"] = WebFormat.date(expires) }
                if t.revokedAt != nil { item["revoked"] = true }
                return item
            },
            "noTokens": tokens.isEmpty, "tokenName": typed?["ten_ma"] ?? "", "tokenDays": typed?["so_ngay"] ?? "",
        ]
        switch secret {
        case .password(let password)?: values["password"] = password
        case .token(let token)?: values["token"] = token
        case nil: break
        }
        values.merge(Self.formValues(caller: caller, units: units, typed: typed, errors: errors)) { _, new in new }
        var page = WebPage(title: "Cán bộ \(account.username)", section: .officers, body: Self.accountTemplate.render(values), notice: notice)
        if !errors.isEmpty { page.status = .unprocessableContent }
        return WebLayout.response(page, context: context)
    }

    /// The account a form is about (404 outside the caller's scope), the form, the caller, the province.
    func posted(_ context: AppRequestContext) async throws -> (Account, WebForm, Caller, Int64) {
        let (caller, province) = try context.province()
        guard let form = context.form else { throw WebError.csrf }
        return (try await accounts.find(id: try Self.accountID(context), province: province, caller: caller), form, caller, province)
    }

    func setStatus(_ status: Account.Status, context: AppRequestContext) async throws -> Response {
        let (account, _, caller, province) = try await posted(context)
        _ = try await accounts.setStatus(province: province, username: account.username, status: status, caller: caller)
        return WebLayout.redirect("\(Self.path)/\(account.id.uuidString.lowercased())?da=\(status == .active ? "kich-hoat" : "vo-hieu")")
    }

    func resetPassword(context: AppRequestContext) async throws -> Response {
        let (account, _, caller, province) = try await posted(context)
        let password = try await accounts.resetPassword(province: province, username: account.username, caller: caller)
        return try await self.account(account.id, context: context, notice: "Đã đặt mật khẩu mới; các phiên đăng nhập của tài khoản đã kết thúc.", secret: .password(password))
    }

    func grant(context: AppRequestContext) async throws -> Response {
        let (account, form, caller, province) = try await posted(context)
        var errors = WebFormErrors()
        let role = form.text("vai_tro").flatMap(Role.init(rawValue:))
        let unit = try PlanningSelection.id(form.text("don_vi"))
        if role == nil || unit == nil { errors.add("vai_tro", "Hãy chọn vai trò và đơn vị.") }
        return try await attempt(account, form: form, errors: errors, context: context) {
            _ = try await accounts.grant(province: province, username: account.username, role: role!, unit: .id(unit!), caller: caller)
            return WebLayout.redirect("\(Self.path)/\(account.id.uuidString.lowercased())?da=quyen")
        }
    }

    /// Runs a form's change when what was typed is readable; a refusal about the form shows the
    /// account's page again with the message beside the field (422), others the error pages.
    func attempt(
        _ account: Account, form: WebForm, errors: WebFormErrors, context: AppRequestContext, _ change: () async throws -> Response
    ) async throws -> Response {
        var errors = errors
        if errors.isEmpty {
            do {
                return try await change()
            } catch {
                let (field, message) = try Self.refusal(error)
                errors.add(field, message)
            }
        }
        return try await self.account(account.id, context: context, errors: errors, typed: form)
    }

    func revokeGrant(context: AppRequestContext) async throws -> Response {
        let (account, _, caller, province) = try await posted(context)
        guard let grant = context.parameters.get("grant").flatMap({ Int64($0) }), grant > 0 else { throw WebError.notFound }
        let (_, grants) = try await accounts.show(province: province, username: account.username, caller: caller)
        guard grants.contains(where: { $0.id == grant }) else { throw WebError.notFound }
        _ = try await accounts.revoke(province: province, grantID: grant, caller: caller)
        return WebLayout.redirect("\(Self.path)/\(account.id.uuidString.lowercased())?da=thu-hoi")
    }

    func issueToken(context: AppRequestContext) async throws -> Response {
        let (account, form, caller, province) = try await posted(context)
        var errors = WebFormErrors()
        var days: Int?
        if let text = form.text("so_ngay") {
            days = Int(text).flatMap { (1...3650).contains($0) ? $0 : nil }
            if days == nil { errors.add("so_ngay", "Số ngày hiệu lực phải là số nguyên từ 1 đến 3.650; để trống nếu dùng đến khi thu hồi.") }
        }
        return try await attempt(account, form: form, errors: errors, context: context) {
            let token = try await services.authenticator.issue(
                province: province, username: account.username, name: form.text("ten_ma"), lifetimeSeconds: days.map { $0 * 86_400 }, caller: caller)
            return try await self.account(account.id, context: context, notice: "Đã cấp mã truy cập.", secret: .token(token.secret))
        }
    }

    func revokeToken(context: AppRequestContext) async throws -> Response {
        let (account, _, caller, province) = try await posted(context)
        guard let token = context.parameters.get("token").flatMap(UUID.init(uuidString:)) else { throw WebError.notFound }
        let tokens = try await services.authenticator.tokens(province: province, username: account.username, caller: caller)
        guard tokens.contains(where: { $0.id == token }) else { throw WebError.notFound }
        _ = try await services.authenticator.revoke(province: province, tokenID: token, caller: caller)
        return WebLayout.redirect("\(Self.path)/\(account.id.uuidString.lowercased())?da=thu-hoi-ma")
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/accounts` and `/v1/grants`: accounts and roles within the caller's scope.
struct AccountsController {
    let accounts: AccountStore
    let authenticator: Authenticator

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("accounts") { _, context in
            let (caller, province) = try context.province()
            return JSONBody.response(.ok, ["items": try await accounts.list(province: province, caller: caller).map(Representation.account)])
        }
        group.post("accounts") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(request, context: context, allowed: ["username", "display_name", "home_unit_id", "password", "role"])
            let account = try await accounts.create(
                province: province, username: try input.requiredString("username", maxBytes: 200),
                displayName: try input.requiredString("display_name", maxBytes: 1000),
                homeUnit: try input.integer("home_unit_id").map(UnitReference.id), password: try input.string("password", maxBytes: 1024),
                role: try input.string("role", maxBytes: 20).map(Self.role), caller: caller)
            return JSONBody.response(.created, Representation.account(account))
        }
        group.get("accounts/:id") { _, context in
            let (caller, province) = try context.province()
            let (account, grants) = try await show(context, caller, province)
            var body = Representation.account(account)
            body["grants"] = grants.map(Representation.grant)
            return JSONBody.response(.ok, body)
        }
        group.post("accounts/:id/disable") { _, context in try await setStatus(context, .disabled) }
        group.post("accounts/:id/enable") { _, context in try await setStatus(context, .active) }
        group.post("accounts/:id/grants") { request, context in
            let (caller, province) = try context.province()
            let (account, _) = try await show(context, caller, province)
            let input = try await JSONInput.read(request, context: context, allowed: ["role", "unit_id", "valid_to"])
            let role = try Self.role(try input.requiredString("role", maxBytes: 20))
            let grant = try await accounts.grant(
                province: province, username: account.username, role: role, unit: .id(try input.requiredInteger("unit_id")),
                validTo: try input.date("valid_to"), caller: caller)
            return JSONBody.response(.created, Representation.grant(grant))
        }
        group.delete("grants/:id") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the grant")
            return JSONBody.response(.ok, Representation.grant(try await accounts.revoke(province: province, grantID: id, caller: caller)))
        }
        group.get("accounts/:id/tokens") { _, context in
            let (caller, province) = try context.province()
            let (account, _) = try await show(context, caller, province)
            let tokens = try await authenticator.tokens(province: province, username: account.username, caller: caller)
            return JSONBody.response(.ok, ["items": tokens.map(Representation.token)])
        }
        addCredentialRoutes(to: group)
    }

    /// A new password made by the server, integration tokens issued and revoked: each secret is
    /// in the answer once and never again.
    func addCredentialRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("accounts/:id/password") { _, context in
            let (caller, province) = try context.province()
            let (account, _) = try await show(context, caller, province)
            let password = try await accounts.resetPassword(province: province, username: account.username, caller: caller)
            var body = Representation.account(account)
            body["password"] = password
            return JSONBody.response(.ok, body)
        }
        group.post("accounts/:id/tokens") { request, context in
            let (caller, province) = try context.province()
            let (account, _) = try await show(context, caller, province)
            let input = try await JSONInput.read(request, context: context, allowed: ["name", "expires_in_days"])
            let days = try input.integer("expires_in_days")
            if let days, !(1...3650).contains(days) { throw ChitieuError.integerRange("expires_in_days", 1...3650) }
            let token = try await authenticator.issue(
                province: province, username: account.username, name: try input.string("name", maxBytes: 800),
                lifetimeSeconds: days.map { Int($0) * 86_400 }, caller: caller)
            let body: [String: Any] = [
                "id": token.id.uuidString.lowercased(), "username": account.username, "kind": token.kind, "name": token.name ?? NSNull(),
                "expires_at": Representation.time(token.expiresAt), "token": token.secret,
            ]
            return JSONBody.response(.created, body)
        }
        group.delete("tokens/:id") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.uuid("id", what: "the token")
            return JSONBody.response(.ok, Representation.token(try await authenticator.revoke(province: province, tokenID: id, caller: caller)))
        }
    }

    /// A role named in a body.
    static func role(_ text: String) throws -> Role {
        guard let role = Role(rawValue: text) else { throw BodyError.invalid("role", "'\(text)' is not one of province, district, commune, viewer") }
        return role
    }

    func show(_ context: AppRequestContext, _ caller: Caller, _ province: Int64) async throws -> (Account, [GrantRecord]) {
        let id = try context.parameters.uuid("id", what: "the account")
        let account = try await accounts.find(id: id, province: province, caller: caller)
        return try await accounts.show(province: province, username: account.username, caller: caller)
    }

    func setStatus(_ context: AppRequestContext, _ status: Account.Status) async throws -> Response {
        let (caller, province) = try context.province()
        let (account, _) = try await show(context, caller, province)
        return JSONBody.response(.ok, Representation.account(try await accounts.setStatus(province: province, username: account.username, status: status, caller: caller)))
    }
}

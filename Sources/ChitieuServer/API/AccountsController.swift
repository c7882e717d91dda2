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
            let input = try await JSONInput.read(request, context: context, allowed: ["username", "display_name", "home_unit_id", "password"])
            let account = try await accounts.create(
                province: province, username: try input.requiredString("username", maxBytes: 200),
                displayName: try input.requiredString("display_name", maxBytes: 1000),
                homeUnit: try input.integer("home_unit_id").map(UnitReference.id), password: try input.string("password", maxBytes: 1024),
                caller: caller)
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
            let roleText = try input.requiredString("role", maxBytes: 20)
            guard let role = Role(rawValue: roleText) else {
                throw BodyError.invalid("role", "'\(roleText)' is not one of province, district, commune, viewer")
            }
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

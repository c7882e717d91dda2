import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/sessions`: log in, who am I, log out.
struct SessionsController {
    let authenticator: Authenticator
    let accounts: AccountStore

    /// POST /v1/sessions takes no token; the others do.
    func addPublicRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("sessions") { request, context in try await login(request, context) }
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("sessions/current") { _, context in try await current(context) }
        group.post("sessions/current/password") { request, context in
            let caller = try context.requireCaller()
            let input = try await JSONInput.read(request, context: context, allowed: ["current_password", "new_password"])
            let ended = try await authenticator.changePassword(
                bearer: context.bearer ?? "", current: try input.requiredString("current_password", maxBytes: 1024),
                new: try input.requiredString("new_password", maxBytes: 1024), caller: caller)
            return JSONBody.response(.ok, ["sessions_ended": ended])
        }
        group.delete("sessions/current") { _, context in
            try await authenticator.revoke(bearer: context.bearer ?? "", caller: try context.requireCaller())
            return Response(status: .noContent)
        }
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let input = try await JSONInput.read(request, context: context, allowed: ["username", "password"])
        let username = try input.requiredString("username", maxBytes: 200)
        let password = try input.requiredString("password", maxBytes: 1024)
        let token = try await authenticator.login(username: username, password: password, address: context.clientAddress, requestID: context.requestID)
        return JSONBody.response(.created, [
            "token": token.secret, "token_type": "Bearer", "expires_at": Representation.time(token.expiresAt),
            "account": Representation.account(token.account),
        ])
    }

    func current(_ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let (account, grants) = try await accounts.show(province: province, username: caller.account!.username, caller: .command("whoami"))
        var body = Representation.account(account)
        body["province_id"] = province
        body["grants"] = grants.filter { $0.revokedAt == nil }.map(Representation.grant)
        return JSONBody.response(.ok, body)
    }
}

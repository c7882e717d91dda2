import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Testing

/// `POST /v1/accounts/:id/password`, `POST /v1/accounts/:id/tokens`, `DELETE /v1/tokens/:id`, and
/// an account created with its role: the secrets in the answer once, the policy on each.
@Suite("Passwords reset and tokens issued through the API")
struct AccountCredentialsAPITests {
    @Test func aResetPasswordWorksOnceGivenAndTheOldOneStops() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, commune, _) = try await api.officers()
            let created = try await api.call(
                .post, "/v1/accounts", token: district,
                json: ["username": "xa10.api", "display_name": "Lò Thị Hoà", "home_unit_id": world.unitsA.commune, "role": "commune"])
            #expect(created.status == .created, "\(created.text)")
            let id = created.json["id"] as? String ?? ""
            let shown = try await api.call(.get, "/v1/accounts/\(id)", token: district)
            #expect((shown.json["grants"] as? [[String: Any]])?.first?["role"] as? String == "commune")
            #expect(try await api.call(.post, "/v1/accounts/\(id)/password", token: commune).status == .forbidden)
            let reset = try await api.call(.post, "/v1/accounts/\(id)/password", token: province)
            #expect(reset.status == .ok)
            let password = try #require(reset.json["password"] as? String)
            #expect(password.count == 14)
            _ = try await api.login("xa10.api", password: password)
            // A role the caller may not give is refused with the account not created.
            let above = try await api.call(
                .post, "/v1/accounts", token: district,
                json: ["username": "xa10.cao", "display_name": "Cao", "home_unit_id": world.unitsA.district, "role": "district"])
            #expect(above.status == .forbidden)
            #expect((try? await world.accounts.show(province: world.a.id, username: "xa10.cao", caller: .command("test"))) == nil)
        }
    }

    @Test func anIntegrationTokenIsIssuedOnceAndRevoked() async throws {
        let world = try await AccessWorld.make()
        let (account, _) = try await world.accounts.show(province: world.a.id, username: "xa10", caller: .command("test"))
        try await withLiveAPI(world) { api in
            let (_, district, commune, _) = try await api.officers()
            let id = account.id.uuidString.lowercased()
            #expect(try await api.call(.post, "/v1/accounts/\(id)/tokens", token: commune, json: ["name": "x"]).status == .forbidden)
            let bad = try await api.call(.post, "/v1/accounts/\(id)/tokens", token: district, json: ["name": "x", "expires_in_days": 0])
            #expect(bad.status == .unprocessableContent)
            let issued = try await api.call(.post, "/v1/accounts/\(id)/tokens", token: district, json: ["name": "Thống kê", "expires_in_days": 30])
            #expect(issued.status == .created, "\(issued.text)")
            let secret = try #require(issued.json["token"] as? String)
            let tokenID = try #require(issued.json["id"] as? String)
            #expect(issued.json["expires_at"] is String)
            #expect(try await api.call(.get, "/v1/sessions/current", token: secret).status == .ok)
            let listed = try await api.call(.get, "/v1/accounts/\(id)/tokens", token: district)
            #expect(!listed.text.contains(secret), "the secret is never listed")
            #expect(try await api.call(.delete, "/v1/tokens/\(tokenID)", token: commune).status == .forbidden)
            let revoked = try await api.call(.delete, "/v1/tokens/\(tokenID)", token: district)
            #expect(revoked.status == .ok && revoked.json["revoked_at"] is String)
            #expect(try await api.call(.get, "/v1/sessions/current", token: secret).status == .unauthorized)
            #expect(try await api.call(.delete, "/v1/tokens/\(UUID().uuidString)", token: district).status == .notFound)
        }
        await world.shutdown()
    }
}

import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// The daemon keeps verified tokens for up to a minute; every change made through chitieu, on
/// this daemon or another, still applies at once.
@Suite("Verified tokens kept in memory")
struct TokenCacheTests {
    /// Asks until one of `statuses` comes back (an announcement on its way to the daemon).
    static func eventually(_ api: APIClient, _ uri: String, token: String, is statuses: Set<HTTPResponse.Status>) async throws -> Bool {
        try await ChitieuTesting.eventually { statuses.contains(try await api.call(.get, uri, token: token).status) }
    }

    @Test func aTokenIsCheckedOnceAndChangesMadeElsewhereApplyAtOnce() async throws {
        let world = try await AccessWorld.make()
        // Another daemon or a command: its own authenticator and store, no cache of its own.
        let elsewhere = Authenticator(database: world.app, passwordParameters: testPasswordParameters)
        let revoked = try await elsewhere.issue(province: world.a.id, username: "xa10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let disabled = try await elsewhere.issue(province: world.a.id, username: "xem10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let regranted = try await elsewhere.issue(province: world.a.id, username: "huyen10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let other = try await elsewhere.issue(province: world.b.id, username: "tinh15", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let su = try await world.db.superuserConnection()
        let (app, _) = try makeApplication(world)
        try await app.test(.live) { client in
            let api = APIClient(client: client)
            let unit = "/v1/units/\(world.unitsA.commune)"
            let district = "/v1/units/\(world.unitsA.district)"
            // The listener connects beside the server; until it has, tokens are checked every
            // time. Ask until a token is kept: a request no longer marks its last use.
            let kept = try await ChitieuTesting.eventually {
                for token in [revoked.secret, disabled.secret, regranted.secret] {
                    #expect(try await api.call(.get, unit, token: token).status == .ok)
                }
                #expect(try await api.call(.get, "/v1/units", token: other.secret).status == .ok)
                try await su.query("UPDATE chitieu.api_token SET last_used_at = NULL WHERE token_id = \(revoked.id)")
                #expect(try await api.call(.get, unit, token: revoked.secret).status == .ok)
                return try await su.query("SELECT last_used_at IS NULL FROM chitieu.api_token WHERE token_id = \(revoked.id)")[0].decode(Bool.self, at: 0)
            }
            #expect(kept, "no token was ever kept")

            // Kept: a token's last use is marked once, however many requests it makes.
            for _ in 0..<20 { #expect(try await api.call(.get, unit, token: revoked.secret).status == .ok) }
            let marked = try await su.query("SELECT last_used_at IS NULL FROM chitieu.api_token WHERE token_id = \(revoked.id)")
            #expect(try marked[0].decode(Bool.self, at: 0), "the kept token was not checked in the database again")

            // Changes made elsewhere, through chitieu, apply at once.
            _ = try await elsewhere.revoke(province: world.a.id, tokenID: revoked.id, caller: .command("test"))
            #expect(try await Self.eventually(api, unit, token: revoked.secret, is: [.unauthorized]), "revoked elsewhere")
            _ = try await world.accounts.setStatus(province: world.a.id, username: "xem10", status: .disabled, caller: .command("test"))
            #expect(try await Self.eventually(api, unit, token: disabled.secret, is: [.unauthorized]), "account disabled elsewhere")
            let (_, grants) = try await world.accounts.show(province: world.a.id, username: "huyen10", caller: .command("test"))
            #expect(try await api.call(.get, district, token: regranted.secret).status == .ok)
            for grant in grants where grant.revokedAt == nil {
                _ = try await world.accounts.revoke(province: world.a.id, grantID: grant.id, caller: .command("test"))
            }
            #expect(try await Self.eventually(api, district, token: regranted.secret, is: [.notFound, .forbidden]), "grant withdrawn elsewhere")
            // Another province's tokens were not touched by these changes, and still work.
            #expect(try await api.call(.get, "/v1/units", token: other.secret).status == .ok)

            // A session closed on this daemon is refused on the very next request.
            let session = try await api.login("tinh10")
            #expect(try await api.call(.get, unit, token: session).status == .ok)
            #expect(try await api.call(.delete, "/v1/sessions/current", token: session).status == .noContent)
            #expect(try await api.call(.get, unit, token: session).status == .unauthorized)
        }
        await world.shutdown()
    }
}

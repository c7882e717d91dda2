import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Nightly housekeeping")
struct NightlyJobTests {
    @Test func tokensPruneDeletesTokensEndedLongerAgoThanTheRetentionAndKeepsTheOthers() async throws {
        let world = try await AccessWorld.make()
        let account = try await world.officer("xa.prune", in: world.a, role: .commune, at: world.unitsA.commune)
        let su = try await world.db.superuserConnection()
        try await su.query(
            """
            INSERT INTO chitieu.api_token (province_id, account_id, token_hash, expires_at, revoked_at)
            SELECT \(world.a.id), \(account.id), sha256(convert_to(n::text, 'UTF8')), e, r
            FROM (VALUES (1, now() - interval '40 days', NULL::timestamptz), (2, now() + interval '40 days', now() - interval '31 days'),
                         (3, now() - interval '10 days', NULL), (4, now() + interval '40 days', NULL), (5, NULL, NULL)) AS t(n, e, r)
            """)
        let removed = try await Authenticator.pruneTokens(olderThanDays: 30, pool: world.app.pool)
        #expect(removed == 2)
        let left = try await su.query("SELECT count(*) AS n FROM chitieu.api_token WHERE province_id = \(world.a.id)")[0].decode(Int.self, "n")
        #expect(left == 3)
        await su.close()
        await world.shutdown()
    }
}

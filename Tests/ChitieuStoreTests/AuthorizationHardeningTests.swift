import ChitieuDomain
@testable import ChitieuServer
@testable import ChitieuStore
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("Authorization hardening: proxies, parallel guesses, scope of managed accounts, tokens after changes")
struct AuthorizationHardeningTests {
    @Test func theClientAddressComesFromATrustedProxyOnly() {
        let trusted: Set<String> = ["10.0.0.5", "10.0.0.6"]
        #expect(ClientAddressMiddleware.address(peer: "203.0.113.9", forwarded: ["1.2.3.4"], trusted: trusted) == "203.0.113.9")
        #expect(ClientAddressMiddleware.address(peer: "10.0.0.5", forwarded: ["1.2.3.4, 198.51.100.7"], trusted: trusted) == "198.51.100.7")
        #expect(ClientAddressMiddleware.address(peer: "10.0.0.5", forwarded: ["1.2.3.4", "198.51.100.7, 10.0.0.6"], trusted: trusted) == "198.51.100.7")
        #expect(ClientAddressMiddleware.address(peer: "10.0.0.5", forwarded: [], trusted: trusted) == "10.0.0.5")
        #expect(ClientAddressMiddleware.address(peer: nil, forwarded: ["1.2.3.4"], trusted: trusted) == nil)
        #expect(Authenticator.addressGroup("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(Authenticator.addressGroup("2001:db8:1:2::9") == "2001:db8:1:2::/64")
        #expect(Authenticator.addressGroup("2001:db8::1") == "2001:db8:0:0::/64")
        #expect(Authenticator.addressGroup("192.0.2.1") == "192.0.2.1")
        #expect(Authenticator.addressGroup("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(Authenticator.addressGroup("::FFFF:198.51.100.7") != Authenticator.addressGroup("::ffff:192.0.2.1"))
    }

    @Test func parallelGuessesCannotSlipUnderTheLimit() async throws {
        let world = try await AccessWorld.make()
        let authenticator = Authenticator(
            database: world.app, limits: LoginLimits(perAccount: 3, perAddress: 1000), passwordParameters: testPasswordParameters)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    do {
                        _ = try await authenticator.login(username: "tinh10", password: "đoán sai mật khẩu", address: "198.51.100.7")
                        return "ok"
                    } catch let error as ChitieuError where Set<ChitieuError.Code>.refusals.contains(error.code) {
                        if error.code == .rateLimited { return "limited" }
                        return "refused"
                    } catch {
                        return "error \(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "refused" }.count <= 3, "\(outcomes)")
        #expect(outcomes.filter { $0 == "limited" }.count >= 21, "\(outcomes)")
        await expectError(.refusals) {
            _ = try await authenticator.login(username: "tinh10", password: testPassword, address: "198.51.100.8")
        }
        await world.shutdown()
    }

    @Test func aDistrictDoesNotManageAnAccountThatWorksBeyondItsDistrict() async throws {
        let world = try await AccessWorld.make()
        let district = try await world.caller("huyen10", in: world.a)
        // xa10 belongs to a commune of the district, but also views another district.
        _ = try await world.accounts.setStatus(province: world.a.id, username: "xa10", status: .active, caller: district)
        let extra = try await world.accounts.grant(
            province: world.a.id, username: "xa10", role: .viewer, unit: .id(world.unitsA.otherDistrict), caller: .command("test"))
        for attempt in [
            { _ = try await world.accounts.setStatus(province: world.a.id, username: "xa10", status: .disabled, caller: district) },
            { try await world.accounts.setPassword(province: world.a.id, username: "xa10", password: "mật khẩu mới dài", caller: district) },
            { _ = try await world.accounts.show(province: world.a.id, username: "xa10", caller: district) },
        ] as [@Sendable () async throws -> Void] {
            await #expect(throws: ChitieuError(.forbidden, "the account holds roles outside what your roles may manage")) { try await attempt() }
        }
        #expect(try await !world.accounts.list(province: world.a.id, caller: district).contains { $0.username == "xa10" })
        // Once the extra role is withdrawn, the district manages it again.
        _ = try await world.accounts.revoke(province: world.a.id, grantID: extra.id, caller: .command("test"))
        _ = try await world.accounts.show(province: world.a.id, username: "xa10", caller: district)
        await world.shutdown()
    }

    @Test func disablingRevokesTokensAndAPasswordChangeEndsSessions() async throws {
        let world = try await AccessWorld.make()
        let authenticator = Authenticator(database: world.app, passwordParameters: testPasswordParameters)
        let session = try await authenticator.login(username: "xa10", password: testPassword, address: nil)
        let integration = try await authenticator.issue(province: world.a.id, username: "xa10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        try await world.accounts.setPassword(province: world.a.id, username: "xa10", password: "mật khẩu mới 2027", caller: .command("test"))
        await expectError(.refusals) { _ = try await authenticator.authenticate(bearer: session.secret) }
        _ = try await authenticator.authenticate(bearer: integration.secret)
        _ = try await world.accounts.setStatus(province: world.a.id, username: "xa10", status: .disabled, caller: .command("test"))
        _ = try await world.accounts.setStatus(province: world.a.id, username: "xa10", status: .active, caller: .command("test"))
        await expectError(.refusals) { _ = try await authenticator.authenticate(bearer: integration.secret) }
        _ = try await authenticator.login(username: "xa10", password: "mật khẩu mới 2027", address: nil)
        await world.shutdown()
    }

    @Test func nulCharactersAndImpossibleDatesAreRefusedNamingTheField() async throws {
        let world = try await AccessWorld.make()
        try await withLiveAPI(world) { api in
            let token = try await api.login("tinh10")
            let nul = try await api.call(.post, "/v1/accounts", token: token, json: ["username": "co.nul", "display_name": "Tên\u{0}ẩn"])
            #expect(nul.status == .unprocessableContent && (nul.json["detail"] as? String ?? "").hasPrefix("display_name"))
            for date in ["0000-01-01", "1800-01-01", "2024-02-30", "2024-13-01"] {
                let response = try await api.call(
                    .post, "/v1/indicators/\(world.indicators[0])/suspend", token: token, json: ["from": date, "reason": "thử"])
                #expect(response.status == .unprocessableContent, "\(date): \(response.status)")
            }
            #expect(try await api.call(.get, "/v1/audit?since=0000-06-01T00:00:00Z", token: token).status == .unprocessableContent)
        }
        // The client refuses NUL in any parameter rather than cutting the value short.
        await #expect(throws: PostgresError.self) {
            _ = try await world.app.pool.query("SELECT \("a\u{0}b")::text")
        }
        await world.shutdown()
    }
}

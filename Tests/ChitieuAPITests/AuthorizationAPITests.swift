import ChitieuDomain
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

@Suite("Authorization over HTTP: logins, tokens, roles and provinces")
struct AuthorizationAPITests {
    @Test func loginShowsWhoIAmAndLogoutEndsTheSession() async throws {
        try await withLiveAPIWorld { world, api in
            let token = try await api.login("huyen10")
            #expect(token.hasPrefix("ct_\(world.a.id)_"))
            let me = try await api.call(.get, "/v1/sessions/current", token: token)
            #expect(me.status == .ok)
            #expect(me.json["username"] as? String == "huyen10")
            #expect(me.json["display_name"] as? String == "Cán bộ huyen10")
            let grants = me.json["grants"] as? [[String: Any]] ?? []
            #expect(grants.map { $0["role"] as? String } == ["district"])
            #expect(grants.first?["unit_id"] as? Int64 == world.unitsA.district || grants.first?["unit_id"] as? Int == Int(world.unitsA.district))
            #expect(me.headers[HTTPField.Name("X-Request-Id")!] != nil)

            let logout = try await api.call(.delete, "/v1/sessions/current", token: token)
            #expect(logout.status == .noContent)
            let after = try await api.call(.get, "/v1/sessions/current", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.headers[.contentType] == "application/problem+json")
            #expect(after.json["type"] as? String == "/problems/unauthenticated")
        }
    }

    @Test func wrongPasswordsAreThrottledPerAccountAndPerAddress() async throws {
        let world = try await AccessWorld.make()
        try await withLiveAPI(world, limits: LoginLimits(perAccount: 3, perAddress: 6, windowSeconds: 600)) { api in
            for _ in 0..<3 {
                let wrong = try await api.call(.post, "/v1/sessions", json: ["username": "xa10", "password": "không đúng mật khẩu"])
                #expect(wrong.status == .unauthorized)
            }
            // Blocked now, even with the right password, and without revealing which.
            let blocked = try await api.call(.post, "/v1/sessions", json: ["username": "xa10", "password": testPassword])
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Another account from the same address still logs in, until the address's own limit.
            _ = try await api.login("huyen10")
            for name in ["khongco1", "khongco2", "khongco3"] {
                #expect(try await api.call(.post, "/v1/sessions", json: ["username": name, "password": "sai mật khẩu 1"]).status == .unauthorized)
            }
            let address = try await api.call(.post, "/v1/sessions", json: ["username": "tinh10", "password": testPassword])
            #expect(address.status == .tooManyRequests)
        }
        await world.shutdown()
    }

    /// Every route that takes an id, called by a province-10 officer with province-15 ids:
    /// 404, and nothing of province 15 changes.
    @Test func anotherProvincesIdsAnswer404AndChangeNothing() async throws {
        let world = try await AccessWorld.make()
        let other = try await world.accounts.find(id: try await accountID("tinh15", world.b, world), province: world.b.id, caller: .command("test"))
        let (_, otherGrants) = try await world.accounts.show(province: world.b.id, username: "tinh15", caller: .command("test"))
        let snapshot = try await provinceSnapshot(world, world.b)
        try await withLiveAPI(world) { api in
            let token = try await api.login("tinh10")
            let unit = world.unitsB.commune
            let indicator = world.indicators[1]
            let account = other.id.uuidString.lowercased()
            let calls: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/v1/units/\(unit)", nil),
                (.get, "/v1/units/\(unit)/children", nil),
                (.get, "/v1/units/\(world.unitsB.province)/children", nil),
                (.get, "/v1/indicators/\(indicator)", nil),
                (.post, "/v1/indicators/\(indicator)/suspend", ["from": "2024-01-01", "reason": "thử"]),
                (.post, "/v1/indicators/\(indicator)/resume", nil),
                (.get, "/v1/accounts/\(account)", nil),
                (.post, "/v1/accounts/\(account)/disable", nil),
                (.post, "/v1/accounts/\(account)/enable", nil),
                (.post, "/v1/accounts/\(account)/grants", ["role": "viewer", "unit_id": world.unitsA.province]),
                (.get, "/v1/accounts/\(account)/tokens", nil),
                (.delete, "/v1/grants/\(otherGrants[0].id)", nil),
                (.post, "/v1/accounts/\(account)/password", nil),
                (.post, "/v1/accounts/\(account)/tokens", ["name": "thử"]),
            ]
            for (method, uri, body) in calls {
                let response = try await api.call(method, uri, token: token, json: body)
                #expect(response.status == .notFound, "\(method) \(uri) answered \(response.status): \(response.text)")
                #expect(response.json["type"] as? String == "/problems/not-found", "\(method) \(uri)")
                let detail = response.json["detail"] as? String ?? ""
                #expect(!detail.contains("15") && !detail.contains("Yên Bái"), "\(method) \(uri) hints at province 15: \(detail)")
            }
            // Units of province 10 given as the grant's unit of a province-15 account: still 404.
            let mixed = try await api.call(.post, "/v1/accounts/\(account)/grants", token: token, json: ["role": "viewer", "unit_id": world.unitsB.province])
            #expect(mixed.status == .notFound)
            // Creating an account in one's own province with another province's unit as its home.
            let home = try await api.call(.post, "/v1/accounts", token: token, json: ["username": "la.khach", "display_name": "Khách", "home_unit_id": unit])
            #expect(home.status == .notFound)
        }
        #expect(try await provinceSnapshot(world, world.b) == snapshot)
        await world.shutdown()
    }

    @Test func rolesDecideAndTheDeniedChangeNothing() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, commune, viewer) = try await api.officers()
            let indicator = world.indicators[0]
            let u = world.unitsA

            // Reading: own unit and below yes; above or beside: 404.
            #expect(try await api.call(.get, "/v1/units/\(u.commune)", token: commune).status == .ok)
            #expect(try await api.call(.get, "/v1/units/\(u.district)", token: commune).status == .notFound)
            #expect(try await api.call(.get, "/v1/units/\(u.otherCommune)", token: commune).status == .notFound)
            #expect(try await api.call(.get, "/v1/units/\(u.commune)", token: district).status == .ok)
            #expect(try await api.call(.get, "/v1/units/\(u.province)", token: district).status == .notFound)
            #expect(try await api.call(.get, "/v1/units/\(u.otherDistrict)", token: district).status == .notFound)
            let children = try await api.call(.get, "/v1/units/\(u.district)/children", token: district)
            #expect(children.status == .ok && children.items.count > 3)
            let roots = try await api.call(.get, "/v1/units", token: district)
            #expect(roots.items.map { ($0["id"] as? NSNumber)?.int64Value } == [u.district])
            #expect(try await api.call(.get, "/v1/indicators", token: viewer).items.count == 1)
            #expect(try await api.call(.get, "/v1/indicators/\(indicator)", token: commune).status == .ok)

            // Managing indicators: the province only.
            let suspend: [String: Any] = ["from": "2024-01-01", "reason": "Dừng theo chỉ đạo của Trung ương"]
            for token in [commune, district, viewer] {
                let denied = try await api.call(.post, "/v1/indicators/\(indicator)/suspend", token: token, json: suspend)
                #expect(denied.status == .forbidden, "\(denied.text)")
                #expect(denied.json["type"] as? String == "/problems/forbidden")
            }
            let suspended = try await api.call(.post, "/v1/indicators/\(indicator)/suspend", token: province, json: suspend)
            #expect(suspended.status == .ok)
            #expect(suspended.json["status"] as? String == "suspended")
            #expect(suspended.json["suspended_reason"] as? String == "Dừng theo chỉ đạo của Trung ương")
            #expect(try await api.call(.post, "/v1/indicators/\(indicator)/suspend", token: province, json: suspend).status == .unprocessableContent)
            #expect(try await api.call(.post, "/v1/indicators/\(indicator)/resume", token: province).status == .ok)

            // Accounts and grants: a district creates commune officers in its district, never a district role.
            let created = try await api.call(
                .post, "/v1/accounts", token: district,
                json: ["username": "xa10.moi", "display_name": "Lò Thị Hoà", "home_unit_id": u.commune, "password": "mật khẩu mới 2026"])
            #expect(created.status == .created, "\(created.text)")
            let newID = created.json["id"] as? String ?? ""
            #expect(try await api.call(.post, "/v1/accounts/\(newID)/grants", token: district, json: ["role": "commune", "unit_id": u.commune]).status == .created)
            #expect(try await api.call(.post, "/v1/accounts/\(newID)/grants", token: district, json: ["role": "district", "unit_id": u.district]).status == .forbidden)
            #expect(try await api.call(.post, "/v1/accounts/\(newID)/grants", token: district, json: ["role": "commune", "unit_id": u.otherCommune]).status == .notFound)
            let wrongLevel = try await api.call(.post, "/v1/accounts/\(newID)/grants", token: province, json: ["role": "commune", "unit_id": u.district])
            #expect(wrongLevel.status == .unprocessableContent)
            #expect((wrongLevel.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "role")
            #expect(try await api.call(.post, "/v1/accounts", token: district, json: ["username": "huyen.khac", "display_name": "X", "home_unit_id": u.otherDistrict]).status == .notFound)
            #expect(try await api.call(.post, "/v1/accounts", token: commune, json: ["username": "xa.khac", "display_name": "X", "home_unit_id": u.commune]).status == .forbidden)
            #expect(try await api.call(.post, "/v1/accounts", token: viewer, json: ["username": "xem.khac", "display_name": "X"]).status == .forbidden)
            // A district cannot manage the provincial officer, whose home is the province.
            let tinh = try await accountID("tinh10", world.a, world)
            #expect(try await api.call(.post, "/v1/accounts/\(tinh.uuidString.lowercased())/disable", token: district).status == .notFound)
            // Nobody locks themselves out: not by disabling their own account, nor by revoking their own role.
            let own = try await api.call(.post, "/v1/accounts/\(tinh.uuidString.lowercased())/disable", token: province)
            #expect(own.status == .conflict && (own.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "id", "\(own.text)")
            let ownGrant = try #require((try await api.call(.get, "/v1/sessions/current", token: province).json["grants"] as? [[String: Any]])?.first?["id"] as? Int)
            #expect(try await api.call(.delete, "/v1/grants/\(ownGrant)", token: province).status == .conflict)
            #expect(try await api.call(.get, "/v1/units", token: province).status == .ok)
            // The province sees every account; the district the ones of its district.
            #expect(Set(try await api.call(.get, "/v1/accounts", token: district).items.compactMap { $0["username"] as? String }) == ["xa10", "xa10.moi"])
            #expect(try await api.call(.get, "/v1/accounts", token: province).items.count == 5)

            // The new officer logs in and works in its commune.
            let newcomer = try await api.login("xa10.moi", password: "mật khẩu mới 2026")
            #expect(try await api.call(.get, "/v1/units/\(u.commune)", token: newcomer).status == .ok)
            // Disabled: its token stops working, and it cannot log in.
            #expect(try await api.call(.post, "/v1/accounts/\(newID)/disable", token: district).status == .ok)
            #expect(try await api.call(.get, "/v1/units/\(u.commune)", token: newcomer).status == .unauthorized)
            #expect(try await api.call(.post, "/v1/sessions", json: ["username": "xa10.moi", "password": "mật khẩu mới 2026"]).status == .unauthorized)
        }
    }

    @Test func auditEventsNameTheActorTheWayAndTheRequest() async throws {
        try await withLiveAPIWorld { world, api in
            let province = try await api.login("tinh10")
            let district = try await api.login("huyen10")
            let created = try await api.call(
                .post, "/v1/accounts", token: district, json: ["username": "xa10.b", "display_name": "Giàng Thị Mai", "home_unit_id": world.unitsA.commune],
                headers: [HTTPField.Name("X-Request-Id")!: "req-2026-0001"])
            #expect(created.status == .created)
            #expect(created.headers[HTTPField.Name("X-Request-Id")!] == "req-2026-0001")

            let log = try await api.call(.get, "/v1/audit?entity_type=account&limit=50", token: province)
            #expect(log.status == .ok)
            let event = try #require(log.items.first { $0["entity_id"] as? String == "xa10.b" })
            #expect(event["actor"] as? String == "huyen10")
            #expect(event["via"] as? String == "api")
            #expect(event["request_id"] as? String == "req-2026-0001")
            #expect(event["action"] as? String == "account.create")
            #expect((event["after"] as? [String: Any])?["display_name"] as? String == "Giàng Thị Mai")
            // Operator work during setup shows as cli.
            #expect(log.items.contains { $0["via"] as? String == "cli" })

            // The district reads the events of its subtree only; a commune officer reads none.
            let districtLog = try await api.call(.get, "/v1/audit?limit=1000", token: district)
            #expect(districtLog.status == .ok)
            #expect(districtLog.items.contains { $0["entity_id"] as? String == "xa10.b" })
            #expect(!districtLog.items.contains { $0["entity_id"] as? String == "tinh10" })
            #expect(try await api.call(.get, "/v1/audit", token: try await api.login("xa10")).status == .forbidden)

            // Pages follow the cursor without repeating or skipping.
            let first = try await api.call(.get, "/v1/audit?limit=2", token: province)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await api.call(.get, "/v1/audit?limit=2&cursor=\(cursor)", token: province)
            let ids = (first.items + second.items).compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(ids.count == 4 && Set(ids).count == 4 && ids == ids.sorted(by: >))
            #expect(try await api.call(.get, "/v1/audit?limit=0", token: province).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/audit?since=h%C3%B4m-qua", token: province).status == .unprocessableContent)
        }
    }
}

/// The id of an account, read as the operator.
func accountID(_ username: String, _ p: Province, _ world: AccessWorld) async throws -> UUID {
    try await world.app.withTenant(p.id) { tx in try await AccountStore.find(username: username, tx: tx)!.id }
}

/// A digest of everything a province holds, to show a refused request changed nothing.
func provinceSnapshot(_ world: AccessWorld, _ p: Province) async throws -> [String] {
    let su = try await world.db.superuserConnection()
    var out: [String] = []
    for table in ["admin_unit", "indicator", "account", "role_grant", "credential", "api_token", "audit_event", "target", "result"] {
        // A token's last use is bookkeeping, not a change.
        let row = table == "api_token" ? "(t.token_id, t.account_id, t.token_hash, t.expires_at, t.revoked_at)::text" : "t::text"
        let rows = try await su.query(PostgresQuery(unsafeSQL: "SELECT md5(coalesce(string_agg(\(row), '|' ORDER BY \(row)), '')) FROM chitieu.\(table) t WHERE province_id = \(p.id)"))
        out.append("\(table):\(try rows[0].decode(String.self, at: 0))")
    }
    await su.close()
    return out
}

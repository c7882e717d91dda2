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

@Suite("Tokens and hostile input")
struct TokenAndInputTests {
    @Test func wrongExpiredRevokedAndDisabledTokensAreRefusedAndNoSecretIsKept() async throws {
        let world = try await AccessWorld.make()
        let logs = CapturedLogs()
        let (app, _) = try makeApplication(world, logs: logs)
        let authenticator = Authenticator(database: world.app, passwordParameters: testPasswordParameters)
        let integration = try await authenticator.issue(
            province: world.a.id, username: "huyen10", name: "Bảng tính của huyện", lifetimeSeconds: 90 * 86_400, caller: .command("test"))
        let expiring = try await authenticator.issue(province: world.a.id, username: "xa10", name: nil, lifetimeSeconds: 3600, caller: .command("test"))
        let revoked = try await authenticator.issue(province: world.a.id, username: "xa10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let disabled = try await authenticator.issue(province: world.a.id, username: "xem10", name: nil, lifetimeSeconds: nil, caller: .command("test"))
        let su = try await world.db.superuserConnection()
        try await su.query("UPDATE chitieu.api_token SET expires_at = now() - interval '1 second' WHERE token_id = \(expiring.id)")
        _ = try await authenticator.revoke(province: world.a.id, tokenID: revoked.id, caller: .command("test"))
        _ = try await world.accounts.setStatus(province: world.a.id, username: "xem10", status: .disabled, caller: .command("test"))
        let session = try await app.test(.live) { client in
            let api = APIClient(client: client)
            let session = try await api.login("tinh10")
            let uri = "/v1/units/\(world.unitsA.district)"
            #expect(try await api.call(.get, uri, token: integration.secret).status == .ok)
            #expect(try await api.call(.get, uri, token: session).status == .ok)

            var forged = Array(integration.secret)
            forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
            let refused: [(String, String?)] = [
                ("no header", nil),
                ("forged", String(forged)),
                ("malformed", "not-a-token"),
                ("other province prefix", "ct_\(world.b.id)_" + integration.secret.split(separator: "_", maxSplits: 2).last!),
                ("unknown province", "ct_999999_" + String(repeating: "A", count: 43)),
                ("expired", expiring.secret),
                ("revoked", revoked.secret),
                ("disabled account", disabled.secret),
                ("hostile", "ct_1_'; DROP TABLE chitieu.account; --xxxxxxxxxxxxxxxxxxxxxxxx"),
            ]
            for (name, token) in refused {
                let response = try await api.call(.get, uri, token: token)
                #expect(response.status == .unauthorized, "\(name): \(response.status) \(response.text)")
                #expect(response.headers[.wwwAuthenticate] != nil, "\(name)")
            }
            #expect(try await api.call(.get, uri, headers: [.authorization: "Basic dXNlcjpwYXNz"]).status == .unauthorized)
            #expect(try await api.call(.get, uri, token: integration.secret).status == .ok)
            return session
        }
        let secrets = [integration.secret, expiring.secret, revoked.secret, disabled.secret, session]

        // Secrets: only their SHA-256 is stored, and they appear in no table and no log line.
        let hashes = try await su.query("SELECT count(*) FROM chitieu.api_token WHERE province_id = \(world.a.id)")[0].decode(Int.self, at: 0)
        #expect(hashes >= 5)
        let tables = try await su.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chitieu' AND c.relkind = 'r'"
        ).map { try $0.decode(String.self, at: 0) }
        for table in tables {
            let dump = try await su.query(PostgresQuery(unsafeSQL: "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM chitieu.\(table) t"))[0]
                .decode(String.self, at: 0)
            for secret in secrets {
                let random = String(secret.split(separator: "_", maxSplits: 2).last!)
                #expect(!dump.contains(random), "chitieu.\(table) holds a token secret")
            }
        }
        let logText = logs.text
        #expect(logText.contains("/v1/units"))
        for secret in secrets {
            #expect(!logText.contains(String(secret.split(separator: "_", maxSplits: 2).last!)), "a log line holds a token secret")
        }
        #expect(!logText.contains(testPassword))
        await su.close()
        await world.shutdown()
    }

    @Test func badBodiesGetClearErrorsNamingTheFieldAndChangeNothing() async throws {
        let world = try await AccessWorld.make()
        let (app, _) = try makeApplication(world)
        let before = try await provinceSnapshot(world, world.a)
        try await app.test(.live) { client in
            let api = APIClient(client: client)
            let token = try await api.login("tinh10")
            let snapshotAfterLogin = try await provinceSnapshot(world, world.a)
            func problem(_ body: Data?, json: Any? = nil, contentType: String? = nil) async throws -> APIResponse {
                var headers: HTTPFields = [:]
                if let contentType { headers[.contentType] = contentType }
                return try await api.call(.post, "/v1/accounts", token: token, json: json, body: body, headers: headers)
            }
            let malformed = try await problem(Data("{\"username\": ".utf8))
            #expect(malformed.status == .badRequest && malformed.json["type"] as? String == "/problems/malformed")
            let notObject = try await problem(Data("[1, 2]".utf8))
            #expect(notObject.status == .badRequest && (notObject.json["detail"] as? String ?? "").contains("object"))
            let invalidUTF8 = try await problem(Data([0x7B, 0x22, 0x75, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]))
            #expect(invalidUTF8.status == .badRequest && (invalidUTF8.json["detail"] as? String ?? "").contains("UTF-8"))
            let wrongType = try await problem(nil, json: ["username": 42, "display_name": "X"])
            #expect(wrongType.status == .unprocessableContent)
            #expect((wrongType.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "username")
            let wrongUnitType = try await problem(nil, json: ["username": "abc", "display_name": "X", "home_unit_id": "12"])
            #expect((wrongUnitType.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "home_unit_id")
            let unknown = try await problem(nil, json: ["username": "abc", "display_name": "X", "is_admin": true])
            #expect(unknown.status == .unprocessableContent && (unknown.json["detail"] as? String ?? "").hasPrefix("is_admin"))
            let missing = try await problem(nil, json: ["username": "abc"])
            #expect((missing.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "display_name")
            let huge = try await problem(Data(("{\"username\": \"" + String(repeating: "a", count: 2 << 20) + "\"}").utf8))
            #expect(huge.status == .contentTooLarge)
            let xml = try await problem(Data("<account/>".utf8), contentType: "application/xml")
            #expect(xml.status == .unsupportedMediaType)
            for hostile in ["o'brien", "'; drop table chitieu.account; --", "100%", "ab\u{0000}c", "nguyễn", "😀😀", "a", String(repeating: "x", count: 64), "Robert\"); --"] {
                let response = try await problem(nil, json: ["username": hostile, "display_name": "Khách"])
                #expect(response.status == .unprocessableContent, "username \(hostile.debugDescription): \(response.status)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "username")
            }
            for badName in ["", "   ", "tên\u{0007}có ký tự điều khiển", String(repeating: "ă", count: 201)] {
                let response = try await problem(nil, json: ["username": "hop.le", "display_name": badName])
                #expect(response.status == .unprocessableContent, "display name \(badName.debugDescription)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "display_name")
            }
            #expect(try await provinceSnapshot(world, world.a) == snapshotAfterLogin)

            // Decomposed Vietnamese is stored NFC; quotes, % and emoji are names like any other.
            let nfd = "Nguyê\u{0303}n Thi\u{0323} Hoa\u{0300}"
            let created = try await problem(nil, json: ["username": "Hoa.Nguyen", "display_name": nfd])
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["username"] as? String == "hoa.nguyen")
            #expect(created.json["display_name"] as? String == "Nguyễn Thị Hoà")
            #expect((created.json["display_name"] as? String)?.unicodeScalars.count == "Nguyễn Thị Hoà".precomposedStringWithCanonicalMapping.unicodeScalars.count)
            let odd = try await problem(nil, json: ["username": "la.ky", "display_name": "O'Brien \"100%\" 🌾; DROP TABLE x"])
            #expect(odd.status == .created)
            #expect(odd.json["display_name"] as? String == "O'Brien \"100%\" 🌾; DROP TABLE x")
            let shown = try await api.call(.get, "/v1/accounts/\(created.json["id"] as? String ?? "")", token: token)
            #expect(shown.json["display_name"] as? String == "Nguyễn Thị Hoà")
            // Taken usernames are refused across the deployment.
            let taken = try await problem(nil, json: ["username": "tinh15", "display_name": "Trùng tên"])
            #expect(taken.status == .unprocessableContent && (taken.json["detail"] as? String ?? "").contains("taken"))
            // Unknown routes and ids: problem documents too.
            #expect(try await api.call(.get, "/v1/nothing-here", token: token).status == .notFound)
            #expect(try await api.call(.get, "/v1/units/abc", token: token).status == .notFound)
            #expect(try await api.call(.get, "/v1/units/-1", token: token).status == .notFound)
            #expect(try await api.call(.get, "/v1/accounts/not-a-uuid", token: token).status == .notFound)
            // Logins: a bad body never reaches the password check.
            #expect(try await api.call(.post, "/v1/sessions", json: ["username": ["x"], "password": "y"]).status == .unprocessableContent)
            #expect(try await api.call(.post, "/v1/sessions", json: ["username": "tinh10"]).status == .unprocessableContent)
        }
        _ = before
        await world.shutdown()
    }
}

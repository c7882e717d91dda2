import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("HTTP hardening: framing, duplicate members, idempotent races, a busy pool")
struct HTTPHardeningTests {
    /// Framing only a broken or hostile client sends is its fault: 400, or 501 for a transfer
    /// coding the server does not implement; never a 500, never logged as an error.
    @Test func malformedFramingIsTheClientsFaultNotTheServers() async throws {
        let world = try await AccessWorld.make()
        let logs = CapturedLogs()
        let pool = world.db.appPool(maxConnections: 4)
        let app = try makeApplication(world, pool: pool, configuration: ServerConfiguration(), logs: logs)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"username":"tinh10","password":"x"}"#
            for coding in ["gzip", "xchunked", "identity", "deflate", "gzip, chunked"] {
                let text = try await RawConnection.exchange(
                    port: port, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: \(coding)\r\n\r\n\(body)",
                    waiting: .seconds(5))
                #expect(RawConnection.status(text) == 501, "Transfer-Encoding: \(coding): \(text)")
                #expect(text.contains("unsupported-transfer-coding"), "\(text)")
            }
            // A chunk size that is not hexadecimal.
            let chunkAnswer = try await RawConnection.exchange(
                port: port, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\(body)\r\n0\r\n\r\n",
                waiting: .seconds(5))
            #expect(RawConnection.status(chunkAnswer) == 400, "\(chunkAnswer)")
            // A client that closes in the middle of its body.
            let gone = try await RawConnection.open(port: port)
            await gone.send("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user")
            try await Task.sleep(for: .milliseconds(200))
            gone.close()
            // The server still serves, and logged the request it could not read.
            #expect(try await eventually { logs.text.components(separatedBy: "Handled a request.").count > 7 })
            #expect(try await APIClient(client: client).call(.get, "/health").status == .ok)
        }
        let lines = logs.lines.withLock { $0 }
        #expect(!lines.contains { $0.hasPrefix("error") || $0.hasPrefix("critical") }, "\(lines.filter { $0.hasPrefix("error") })")
        #expect(!lines.contains { $0.contains("http.status=500") }, "\(lines.filter { $0.contains("http.status=500") })")
        await pool.shutdown()
        await world.shutdown()
    }

    /// `{"value":777, "value":1}` is refused (422 naming `value`), in every route that takes a
    /// body and at any depth, and changes nothing.
    @Test func duplicateMembersAreRefusedInEveryBodyRoute() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        try await withLiveAPI(world) { api in
            let token = try await api.login("tinh10")
            let me = try await api.call(.get, "/v1/sessions/current", token: token)
            let account = try #require((me.json["account"] as? [String: Any])?["id"] as? String ?? me.json["id"] as? String)
            let result = try await api.call(.post, "/v1/results", token: token, json: [
                "indicator_id": world.indicators[0], "unit_id": world.unitsA.commune, "period_start": "2025-10-01", "period_end": "2025-12-31", "value": 3,
            ])
            let resultID = try #require(result.json["id"] as? String, "\(result.text)")
            let before = try await provinceSnapshot(world, world.a)

            // Every operation the document says takes a body, with the ids of real things.
            let document = try JSON.parse(String(decoding: OpenAPIDocument.data, as: UTF8.self))
            var operations: [(HTTPRequest.Method, String)] = []
            for (path, item) in document["paths"]?.object ?? [:] {
                // JSON bodies (an upload's multipart form is read by multipart-kit, not as JSON).
                for (method, operation) in item.object ?? [:] where operation["requestBody"]?["content"]?["application/json"] != nil {
                    let concrete = path
                        .replacingOccurrences(of: "/accounts/{id}", with: "/accounts/\(account)")
                        .replacingOccurrences(of: "/indicators/{id}", with: "/indicators/\(world.indicators[0])")
                        .replacingOccurrences(of: "/results/{id}", with: "/results/\(resultID)")
                        .replacingOccurrences(of: "/phases/{phase}", with: "/phases/2021-2025")
                    #expect(!concrete.contains("{"), "no id to put in \(path): add one here")
                    operations.append((HTTPRequest.Method(method.uppercased())!, concrete))
                }
            }
            #expect(operations.count >= 12, "\(operations)")
            let bodies: [(String, String)] = [
                (#"{"value": 777, "version": 1, "value": 1}"#, "value"),
                (#"{"breakdown": {"sex": {"nam": 1, "nữ": 2, "nam": 3}}}"#, "breakdown.sex.nam"),
                (#"{"weights": [{"a": 1}, {"b": 1, "b": 2}]}"#, "weights[1].b"),
                // The same name written two ways is one name.
                (#"{"reason": "x", "re\u0061son": "y"}"#, "reason"),
            ]
            for (method, uri) in operations {
                for (body, field) in bodies {
                    let response = try await api.call(method, uri, token: token, body: Data(body.utf8))
                    #expect(response.status == .unprocessableContent, "\(method) \(uri) \(body): \(response.status) \(response.text)")
                    let errors = response.json["errors"] as? [[String: Any]]
                    #expect(errors?.first?["field"] as? String == field, "\(method) \(uri): \(response.text)")
                }
            }
            #expect(try await provinceSnapshot(world, world.a) == before)
        }
        await world.shutdown()
    }

    /// Fifty requests at once under one `Idempotency-Key`: one result is stored, and every
    /// answer is it (201), all but one marked as replayed; none is a conflict.
    @Test func concurrentRequestsUnderOneKeyAllGetTheFirstResult() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        let su = try await world.db.superuserConnection()
        let pool = world.db.appPool(maxConnections: 10)
        let app = try makeApplication(world, pool: pool, configuration: ServerConfiguration())
        try await app.test(.ahc(.http)) { client in
            let api = APIClient(client: client)
            let token = try await api.login("xa10")
            let body = try JSONSerialization.data(withJSONObject: [
                "indicator_id": world.indicators[0], "unit_id": world.unitsA.commune, "period_start": "2025-07-01", "period_end": "2025-09-30",
                "value": 5, "submit": true,
            ] as [String: Any])
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "dong-thoi-\(UUID().uuidString)"]
            let answers = try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for _ in 0..<50 { group.addTask { try await api.call(.post, "/v1/results", token: token, body: body, headers: key) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = answers.map(\.status.code)
            #expect(statuses.allSatisfy { $0 == 201 }, "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count)) \(answers.first { $0.status != .created }?.text ?? "")")
            #expect(Set(answers.compactMap { $0.json["id"] as? String }).count == 1)
            #expect(answers.filter { $0.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" }.count == 49)
        }
        let stored = try await su.query(
            "SELECT count(*)::int FROM chitieu.result WHERE province_id = \(world.a.id) AND period_start = '2025-07-01'")[0].decode(Int.self, at: 0)
        #expect(stored == 1)
        await su.close()
        await pool.shutdown()
        await world.shutdown()
    }

    /// Every connection in use is not "the database cannot be reached": its own problem type,
    /// with Retry-After, counted in `chitieu_db_pool_timeouts_total`.
    @Test func anExhaustedPoolIsBusyNotUnreachable() async throws {
        let world = try await AccessWorld.make()
        let pool = TestDatabase.pool(world.db.appConnectionString, maxConnections: 1, acquireTimeout: .milliseconds(300))
        let app = try makeApplication(world, pool: pool, configuration: ServerConfiguration(tokenCacheSeconds: 0))
        try await app.test(.live) { client in
            let api = APIClient(client: client)
            let token = try await api.login("tinh10")
            let held = try await pool.acquire()
            for (uri, bearer) in [("/v1/units", token as String?), ("/ready", nil)] {
                let response = try await api.call(.get, uri, token: bearer)
                #expect(response.status == .serviceUnavailable, "\(uri): \(response.text)")
                #expect(response.json["type"] as? String == "/problems/database-busy", "\(uri): \(response.text)")
                #expect(response.headers[.retryAfter] != nil)
            }
            await pool.release(held)
            let metrics = try await api.call(.get, "/metrics")
            let line = metrics.text.split(separator: "\n").first { $0.hasPrefix("chitieu_db_pool_timeouts_total ") }
            #expect(line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 >= 2, "\(line ?? "no chitieu_db_pool_timeouts_total")")
            #expect(try await api.call(.get, "/v1/units", token: token).status == .ok)
        }
        await pool.shutdown()
        await world.shutdown()
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("Results and progress over HTTP")
struct ResultsAPITests {
    @Test func submitRetryApproveAndReadProgressOverHTTP() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        let su = try await world.db.superuserConnection()
        try await su.query("UPDATE chitieu.indicator SET companion_measure = 'thành viên' WHERE province_id = \(world.a.id) AND code = 'DA8-01'")
        await su.close()
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        try await withLiveAPI(world) { api in
            let commune = try await api.login("xa10")
            let district = try await api.login("huyen10")
            let other = try await api.login("tinh15")
            let body: [String: Any] = [
                "indicator_id": world.indicators[0], "unit_id": world.unitsA.commune, "period_start": "2025-10-01", "period_end": "2025-12-31",
                "value": 3, "companion_value": 27, "evidence_note": "Biên bản thành lập tổ", "submit": true,
            ]
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "xa10-2025-q4-DA8-01"]
            let first = try await api.call(.post, "/v1/results", token: commune, json: body, headers: key)
            #expect(first.status == .created, "\(first.text)")
            let retry = try await api.call(.post, "/v1/results", token: commune, json: body, headers: key)
            #expect(retry.status == .created && retry.json["id"] as? String == first.json["id"] as? String)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            var changed = body
            changed["value"] = 4
            #expect(try await api.call(.post, "/v1/results", token: commune, json: changed, headers: key).status == .conflict)
            let id = try #require(first.json["id"] as? String)

            // Another province's officer: 404 for every route with the id; the commune cannot approve.
            let calls: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/v1/results/\(id)", nil), (.post, "/v1/results/\(id)/approve", ["version": 1]), (.post, "/v1/results/\(id)/submit", nil),
                (.post, "/v1/results/\(id)/return", ["reason": "thử"]), (.post, "/v1/results/\(id)/correct", ["value": 1, "reason": "thử", "version": 1]),
                (.patch, "/v1/results/\(id)", ["period_start": "2025-10-01", "period_end": "2025-12-31", "value": 1, "version": 1]),
                (.get, "/v1/results?unit_id=\(world.unitsA.commune)", nil), (.get, "/v1/progress?phase=2021-2025&unit_id=\(world.unitsA.commune)", nil),
            ]
            for (method, uri, json) in calls {
                #expect(try await api.call(method, uri, token: other, json: json).status == .notFound, "\(method) \(uri)")
            }
            #expect(try await api.call(.get, "/v1/results/\(id)", token: commune).json["state"] as? String == "submitted")
            #expect(try await api.call(.post, "/v1/results/\(id)/approve", token: commune, json: ["version": 1]).status == .forbidden)
            #expect(try await api.call(.post, "/v1/results/\(id)/approve", token: district).status == .unprocessableContent)
            let approved = try await api.call(.post, "/v1/results/\(id)/approve", token: district, json: ["version": 1])
            #expect(approved.status == .ok && approved.json["state"] as? String == "approved")
            #expect(try await api.call(.post, "/v1/results/\(id)/approve", token: district, json: ["version": 2]).status == .conflict)
            // What a review found: duplicate keys after normalization, absurd years and cursors are 422, not a crash.
            let twice = try await api.call(.post, "/v1/results", token: commune, json: body.merging(["breakdown": ["sex": ["nam": 1, "nam ": 2]]]) { $1 })
            #expect(twice.status == .unprocessableContent, "\(twice.text)")
            #expect(try await api.call(.get, "/v1/results?year=40000", token: district).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/results?cursor=9223372036854775807_\(id)", token: district).status == .unprocessableContent)
            // Whoever submits does not approve: a district officer reporting for its commune.
            var forCommune = body
            forCommune["period_start"] = "2025-01-01"; forCommune["period_end"] = "2025-03-31"
            let own = try await api.call(.post, "/v1/results", token: district, json: forCommune)
            #expect(own.status == .created, "\(own.text)")
            #expect(try await api.call(.post, "/v1/results/\(own.json["id"] as? String ?? "")/approve", token: district, json: ["version": 1]).status == .forbidden)
            let stale = try await api.call(.patch, "/v1/results/\(id)", token: commune, json: ["period_start": "2025-10-01", "period_end": "2025-12-31", "value": 5, "version": 1])
            #expect(stale.status == .conflict)
            let badBreakdown = try await api.call(.post, "/v1/results", token: commune, json: body.merging(["breakdown": ["sex": ["nữ": 1]]]) { $1 })
            #expect(badBreakdown.status == .unprocessableContent)

            // Completion, once the job has run (here at once).
            let phase = try await world.app.withTenant(world.a.id) { tx in
                try await tx.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(world.a.id) AND code = '2021-2025'")[0].decode(Int64.self, at: 0)
            }
            _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase)
            let shown = try await api.call(.get, "/v1/progress?phase=2021-2025&depth=0&indicator=DA8-01", token: try await api.login("tinh10"))
            #expect(shown.status == .ok)
            let figure = try #require(shown.items.first)
            #expect((figure["achieved"] as? NSNumber)?.intValue == 3 && (figure["target"] as? NSNumber)?.intValue == 424 && (figure["companion"] as? NSNumber)?.intValue == 27)
            let listed = try await api.call(.get, "/v1/results?state=approved&limit=10", token: district)
            #expect(listed.items.count == 1 && listed.json["next_cursor"] is NSNull)
            #expect(try await api.call(.get, "/v1/results?state=bogus", token: district).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/progress", token: district).status == .unprocessableContent)
        }
        await world.shutdown()
    }
}

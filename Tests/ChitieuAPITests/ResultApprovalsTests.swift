import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Postgres
import Testing

@Suite("Approving many results at once: one transaction, an outcome each")
struct ResultApprovalsTests {
    static func world() async throws -> AccessWorld {
        let world = try await AccessWorld.make()
        let su = try await world.db.superuserConnection()
        try await su.query(
            "INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(world.a.id), 2025, '2099-01-25'), (\(world.b.id), 2025, '2099-01-25')")
        await su.close()
        return world
    }

    static func input(_ world: AccessWorld, month: Int, value: Int = 2) -> ResultInput {
        ResultInput(
            indicatorID: world.indicators[0], unit: .id(world.unitsA.commune), periodStart: PostgresDate(year: 2025, month: month, day: 1),
            periodEnd: PostgresDate(year: 2025, month: month, day: 28), figures: ResultFigures(value: value))
    }

    /// A result submitted in the other province (Yên Bái), by its commune officer.
    static func submittedElsewhere(_ world: AccessWorld) async throws -> ResultRecord {
        try await ResultStore(database: world.app).create(
            province: world.b.id,
            ResultInput(
                indicatorID: world.indicators[1], unit: .id(world.unitsB.commune), periodStart: PostgresDate(year: 2025, month: 1, day: 1),
                periodEnd: PostgresDate(year: 2025, month: 1, day: 31), figures: ResultFigures(value: 1)),
            submit: true, idempotencyKey: nil, caller: try await world.caller("xa15", in: world.b)
        ).result
    }

    @Test func eachResultGetsItsOutcomeAndOnlyTheAllowedAreApproved() async throws {
        let world = try await Self.world()
        let results = ResultStore(database: world.app)
        let (commune, district) = try await world.communeAndDistrictCallers()
        func submitted(_ month: Int, by caller: Caller) async throws -> ResultRecord {
            try await results.create(province: world.a.id, Self.input(world, month: month), submit: true, idempotencyKey: nil, caller: caller).result
        }
        let first = try await submitted(1, by: commune)
        let second = try await submitted(2, by: commune)
        let stale = try await submitted(3, by: commune)
        let draft = try await results.create(province: world.a.id, Self.input(world, month: 4), submit: false, idempotencyKey: nil, caller: commune).result
        let ownWork = try await submitted(5, by: district)
        let elsewhere = try await Self.submittedElsewhere(world)
        let unknown = UUID()

        let asked: [(id: UUID, version: Int)] = [
            (first.id, first.version), (stale.id, stale.version + 1), (draft.id, draft.version), (elsewhere.id, elsewhere.version),
            (ownWork.id, ownWork.version), (unknown, 1), (second.id, second.version),
        ]
        let (outcomes, roundTrips) = try await PostgresRoundTrips.count {
            try await results.approve(province: world.a.id, asked, caller: district)
        }
        #expect(roundTrips <= 3, "approving \(asked.count) results took \(roundTrips) round trips")
        #expect(outcomes.map(\.id) == asked.map(\.id))
        let byID = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.id, $0.outcome) })
        #expect(byID[first.id] == .approved(version: 2))
        #expect(byID[second.id] == .approved(version: 2))
        #expect(byID[stale.id] == .staleVersion(current: 1))
        #expect(byID[draft.id] == .notAllowed("a draft result cannot be approved"))
        #expect(byID[ownWork.id] == .notAllowed("four eyes: you submitted this result, so you do not approve it; another officer of the level above does"))
        // Another province's result is as unknown as an id nobody gave.
        #expect(byID[elsewhere.id] == .notFound)
        #expect(byID[unknown] == .notFound)

        for (record, state) in [(first, ResultRules.State.approved), (second, .approved), (stale, .submitted), (draft, .draft), (ownWork, .submitted)] {
            #expect(try await results.find(province: world.a.id, id: record.id, caller: district).state == state)
        }
        let approval = try #require(
            try await AuditStore(database: world.app).list(
                province: world.a.id, filter: AuditStore.Filter(entityType: "result", entityID: first.id.uuidString.lowercased()), caller: .command("test")
            ).first { $0.action == "result.approve" })
        #expect(approval.actorLabel == "huyen10")
        let approvals = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query("SELECT count(*) FROM chitieu.audit_event WHERE province_id = \(world.a.id) AND action = 'result.approve'")[0]
                .decode(Int.self, at: 0)
        }
        #expect(approvals == 2)
        // The other province's result was left alone.
        let other = try await results.find(province: world.b.id, id: elsewhere.id, caller: try await world.caller("tinh15", in: world.b))
        #expect(other.state == .submitted && other.version == 1)
        // Completion is recomputed once for the indicator's phase, though two results moved it.
        let jobs = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query(
                "SELECT count(*) FROM chitieu.job WHERE province_id = \(world.a.id) AND kind = 'progress' AND args->>'indicator_id' = \(String(world.indicators[0]))"
            )[0].decode(Int.self, at: 0)
        }
        #expect(jobs == 1)
        await world.shutdown()
    }

    @Test func aListThatIsEmptyTooLongOrNamesAResultTwiceIsRefusedAndChangesNothing() async throws {
        let world = try await Self.world()
        let results = ResultStore(database: world.app)
        let (commune, district) = try await world.communeAndDistrictCallers()
        let r = try await results.create(province: world.a.id, Self.input(world, month: 6), submit: true, idempotencyKey: nil, caller: commune).result
        await #expect(throws: ChitieuError(.invalid, field: "results", reason: "must list 1 to 500 results, not 0")) {
            _ = try await results.approve(province: world.a.id, [], caller: district)
        }
        await #expect(throws: ChitieuError(.invalid, field: "results", reason: "must list 1 to 500 results, not 501")) {
            _ = try await results.approve(province: world.a.id, Array(repeating: (r.id, 1), count: 501), caller: district)
        }
        do {
            _ = try await results.approve(province: world.a.id, [(r.id, 1), (UUID(), 1), (r.id, 1)], caller: district)
            Issue.record("a list naming a result twice was taken")
        } catch let error as ChitieuError {
            #expect(error.field == "results[2].id")
        }
        #expect(try await results.find(province: world.a.id, id: r.id, caller: district).state == .submitted)
        await world.shutdown()
    }

    @Test func theInboxApprovesOverHTTP() async throws {
        let world = try await Self.world()
        let results = ResultStore(database: world.app)
        let commune = try await world.caller("xa10", in: world.a)
        let first = try await results.create(province: world.a.id, Self.input(world, month: 7), submit: true, idempotencyKey: nil, caller: commune).result
        let second = try await results.create(province: world.a.id, Self.input(world, month: 8), submit: true, idempotencyKey: nil, caller: commune).result
        let elsewhere = try await Self.submittedElsewhere(world)
        @Sendable func id(_ r: ResultRecord) -> String { r.id.uuidString.lowercased() }
        try await withLiveAPI(world) { api in
            let district = try await api.login("huyen10")
            let viewer = try await api.login("xem10")
            let body: [String: Any] = ["results": [
                ["id": id(first), "version": 1] as [String: Any], ["id": id(second), "version": 7], ["id": id(elsewhere), "version": 1],
            ]]
            // A viewer sees the results but approves none.
            let refused = try await api.call(.post, "/v1/results/approvals", token: viewer, json: body)
            #expect(refused.status == .ok, "\(refused.text)")
            let refusedOutcomes = try #require(refused.json["results"] as? [[String: Any]])
            #expect(refusedOutcomes.map { $0["outcome"] as? String } == ["not_allowed", "not_allowed", "not_found"], "\(refused.text)")

            let answer = try await api.call(.post, "/v1/results/approvals", token: district, json: body)
            #expect(answer.status == .ok, "\(answer.text)")
            let outcomes = try #require(answer.json["results"] as? [[String: Any]])
            #expect(outcomes.map { $0["id"] as? String } == [id(first), id(second), id(elsewhere)])
            #expect(outcomes.map { $0["outcome"] as? String } == ["approved", "stale_version", "not_found"], "\(answer.text)")
            #expect(outcomes[0]["version"] as? Int == 2 && outcomes[1]["version"] as? Int == 1)
            // Nothing about the other province's result: not its state, not its version.
            #expect(outcomes[2]["version"] == nil && outcomes[2]["detail"] as? String == "the result was not found")
            #expect(try await api.call(.get, "/v1/results/\(id(first))", token: district).json["state"] as? String == "approved")
            #expect(try await api.call(.get, "/v1/results/\(id(second))", token: district).json["state"] as? String == "submitted")

            // Bad lists name the member at fault.
            func item(_ id: String, _ version: Int?, _ extra: [String: Any] = [:]) -> [String: Any] {
                var item: [String: Any] = ["id": id]
                if let version { item["version"] = version }
                return item.merging(extra) { $1 }
            }
            let bad: [([String: Any], String)] = [
                (["results": [Any]()], "results"),
                (["results": [item(id(second), 1), item(id(first), nil)]], "results[1].version"),
                (["results": [item(id(second), 1), item("x", 1)]], "results[1].id"),
                (["results": [item(id(second), 1), item(id(first), 2), item(UUID().uuidString, 0)]], "results[2].version"),
                (["results": [item(id(second), 1), item(id(second), 1)]], "results[1].id"),
                (["results": [item(id(second), 1, ["reason": "ok"])]], "results[0].reason"),
                (["results": Array(repeating: item(id(second), 1), count: 501)], "results"),
                (["results": "all"], "results"),
            ]
            for (json, field) in bad {
                let response = try await api.call(.post, "/v1/results/approvals", token: district, json: json)
                #expect(response.status == .unprocessableContent, "\(field): \(response.text)")
                #expect((response.json["detail"] as? String)?.hasPrefix("\(field):") == true, "\(field): \(response.text)")
            }
            #expect(try await api.call(.get, "/v1/results/\(id(second))", token: district).json["version"] as? Int == 1)
        }
        await world.shutdown()
    }
}

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

@Suite("Four eyes: whoever created, changed or submitted a result does not approve it")
struct FourEyesTests {
    static func world() async throws -> AccessWorld {
        let world = try await AccessWorld.make()
        let su = try await world.db.superuserConnection()
        try await su.query("INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(world.a.id), 2025, '2099-01-25')")
        await su.close()
        return world
    }

    static func report(_ world: AccessWorld, from: String, to: String) -> [String: Any] {
        ["indicator_id": world.indicators[0], "unit_id": world.unitsA.commune, "period_start": from, "period_end": to, "value": 3]
    }

    @Test func anOfficerWhoChangedADraftDoesNotApproveItOverTheAPI() async throws {
        let world = try await Self.world()
        try await withLiveAPI(world) { api in
            let commune = try await api.login("xa10")
            let district = try await api.login("huyen10")
            let province = try await api.login("tinh10")

            // The commune reports a draft, the district officer corrects its figures, the commune submits.
            let draft = try await api.call(.post, "/v1/results", token: commune, json: Self.report(world, from: "2025-01-01", to: "2025-03-31"))
            #expect(draft.status == .created, "\(draft.text)")
            let id = try #require(draft.json["id"] as? String)
            let edited = try await api.call(
                .patch, "/v1/results/\(id)", token: district,
                json: ["period_start": "2025-01-01", "period_end": "2025-03-31", "value": 5, "version": 1])
            #expect(edited.status == .ok, "\(edited.text)")
            #expect(try await api.call(.post, "/v1/results/\(id)/submit", token: commune).status == .ok)

            let refused = try await api.call(.post, "/v1/results/\(id)/approve", token: district, json: ["version": 3])
            #expect(refused.status == .forbidden, "\(refused.text)")
            #expect((refused.json["detail"] as? String)?.contains("four eyes: you last changed the figures of this result") == true, "\(refused.text)")
            #expect(try await api.call(.get, "/v1/results/\(id)", token: district).json["state"] as? String == "submitted")
            let approved = try await api.call(.post, "/v1/results/\(id)/approve", token: province, json: ["version": 3])
            #expect(approved.status == .ok && approved.json["state"] as? String == "approved", "\(approved.text)")

            // A district officer who created the draft for the commune does not approve it either.
            let created = try await api.call(.post, "/v1/results", token: district, json: Self.report(world, from: "2025-04-01", to: "2025-06-30"))
            let createdID = try #require(created.json["id"] as? String, "\(created.text)")
            let resubmitted = try await api.call(
                .patch, "/v1/results/\(createdID)", token: commune,
                json: ["period_start": "2025-04-01", "period_end": "2025-06-30", "value": 4, "version": 1])
            #expect(resubmitted.status == .ok)
            #expect(try await api.call(.post, "/v1/results/\(createdID)/submit", token: commune).status == .ok)
            let creator = try await api.call(.post, "/v1/results/\(createdID)/approve", token: district, json: ["version": 3])
            #expect(creator.status == .forbidden && (creator.json["detail"] as? String)?.contains("you created this result") == true, "\(creator.text)")
        }
        await world.shutdown()
    }

    @Test func theRuleHoldsThroughTheCommandLine() async throws {
        let world = try await Self.world()
        let env = ["CHITIEU_ADMIN_DATABASE_URL": world.db.ownerConnectionString, "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path]
        func run(_ args: [String]) async throws -> CommandResult { try await ChitieuCommand.run(args, environment: env) }
        let commune = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND unit_id = \(world.unitsA.commune)")[0].decode(String.self, at: 0)
        }

        let added = try await run([
            "result", "add", "--province", "10", "--indicator", "DA8-01", "--unit", commune, "--from", "2025-07-01", "--to", "2025-09-30",
            "--value", "2", "--json", "--as", "huyen10",
        ])
        #expect(added.status == 0, "\(added.error)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try await run(["result", "submit", "--province", "10", id, "--as", "xa10"]).status == 0)
        let refused = try await run(["result", "approve", "--province", "10", id, "--as", "huyen10"])
        #expect(refused.status == 1 && refused.error.contains("four eyes: you created this result"), "\(refused.error)")
        let approved = try await run(["result", "approve", "--province", "10", id, "--as", "tinh10"])
        #expect(approved.status == 0 && approved.output.contains("approved"), "\(approved.error)")
        await world.shutdown()
    }
}

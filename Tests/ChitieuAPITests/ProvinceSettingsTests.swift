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

@Suite("Province settings: whether district officers plan their communes")
struct ProvinceSettingsTests {
    /// The setting and how many audit events changed it, as "true/1".
    static func districtAllocation(_ world: AccessWorld) async throws -> String {
        let su = try await world.db.superuserConnection()
        let rows = try await su.query(
            """
            SELECT district_allocation,
                   (SELECT count(*)::int FROM chitieu.audit_event WHERE province_id = \(world.a.id) AND action = 'province.district_allocation')
            FROM chitieu.province WHERE province_id = \(world.a.id)
            """)
        await su.close()
        return "\(try rows[0].decode(Bool.self, at: 0))/\(try rows[0].decode(Int.self, at: 1))"
    }

    @Test func provinceOfficersTurnDistrictPlanningOnOverTheAPIAndDistrictsThenPlanTheirCommunes() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, commune, viewer) = try await api.officers()
            let communeTarget: [String: Any] = ["indicator_id": world.indicators[0], "phase": "2021-2025", "unit_id": world.unitsA.commune, "value": 3]

            let shown = try await api.call(.get, "/v1/province/settings", token: commune)
            #expect(shown.status == .ok && shown.json["district_allocation"] as? Bool == false, "\(shown.text)")
            #expect(try await api.call(.put, "/v1/targets", token: district, json: communeTarget).status == .forbidden)

            // Only province officers change it; bad bodies name the field; nothing changes.
            for token in [district, commune, viewer] {
                let denied = try await api.call(.put, "/v1/province/settings", token: token, json: ["district_allocation": true])
                #expect(denied.status == .forbidden, "\(denied.text)")
            }
            let invalid: [([String: Any], String)] = [
                (["district_allocation": "on"], "district_allocation"), ([:], "district_allocation"),
                (["district_allocation": NSNull()], "district_allocation"), (["district_allocation": true, "viewers_report": true], "viewers_report"),
            ]
            for (body, field) in invalid {
                let response = try await api.call(.put, "/v1/province/settings", token: province, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(response.text)")
            }
            #expect(try await Self.districtAllocation(world) == "false/0")

            let on = try await api.call(.put, "/v1/province/settings", token: province, json: ["district_allocation": true])
            #expect(on.status == .ok && on.json["district_allocation"] as? Bool == true, "\(on.text)")
            #expect(try await Self.districtAllocation(world) == "true/1")
            // The district officer's token now allows it at once (the token cache was told).
            let planned = try await api.call(.put, "/v1/targets", token: district, json: communeTarget)
            #expect(planned.status == .ok, "\(planned.text)")
            let audit = try await api.call(.get, "/v1/audit?limit=5", token: province)
            let event = try #require(audit.items.first { $0["action"] as? String == "province.district_allocation" })
            #expect((event["before"] as? [String: Any])?["district_allocation"] as? Bool == false)
            #expect((event["after"] as? [String: Any])?["district_allocation"] as? Bool == true)

            #expect(try await api.call(.put, "/v1/province/settings", token: province, json: ["district_allocation": false]).status == .ok)
            #expect(try await api.call(.put, "/v1/targets", token: district, json: communeTarget).status == .forbidden)
        }
    }

    @Test func theTenantSettingsCommandShowsAndChangesIt() async throws {
        let world = try await AccessWorld.make()
        let env = ["CHITIEU_ADMIN_DATABASE_URL": world.db.ownerConnectionString, "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path]
        func run(_ args: [String]) async throws -> CommandResult { try await ChitieuCommand.run(args, environment: env) }

        let off = try await run(["tenant", "settings", "show", "--province", "10"])
        #expect(off.status == 0 && off.output.contains("district allocation  off"), "\(off.output)\(off.error)")
        let typo = try await run(["tenant", "settings", "set", "--province", "10", "--district-allocation", "yes"])
        #expect(typo.status == 2 && typo.error.contains("district-allocation"), "\(typo.error)")
        let denied = try await run(["tenant", "settings", "set", "--province", "10", "--district-allocation", "on", "--as", "huyen10"])
        #expect(denied.status == 1, "\(denied.output)")
        #expect(try await Self.districtAllocation(world) == "false/0")

        let on = try await run(["tenant", "settings", "set", "--province", "10", "--district-allocation", "on", "--as", "tinh10"])
        #expect(on.status == 0 && on.output.contains("on"), "\(on.error)")
        let json = try await run(["tenant", "settings", "show", "--province", "10", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])?["district_allocation"] as? Bool == true)
        #expect(try await Self.districtAllocation(world) == "true/1")
        // Province 15 is untouched.
        #expect(try await run(["tenant", "settings", "show", "--province", "15"]).output.contains("off"))
        await world.shutdown()
    }
}

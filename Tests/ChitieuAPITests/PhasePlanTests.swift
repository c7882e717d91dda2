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

@Suite("The plan that set a phase's targets: recorded, checked, shown")
struct PhasePlanTests {
    static let phase = "2021-2025"
    static var laoCai: [String: Any] { ["number": "355/KH-UBND", "date": "2022-10-24", "issuer": "UBND tỉnh Lào Cai"] }
    static let citation = "Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai"

    /// The phase row and its audit events, to show that a refused request changed nothing.
    static func phaseState(_ world: AccessWorld) async throws -> String {
        let su = try await world.db.superuserConnection()
        let rows = try await su.query(
            """
            SELECT (SELECT p::text FROM chitieu.phase p WHERE p.province_id = \(world.a.id) AND p.code = \(Self.phase))
                || (SELECT count(*)::text FROM chitieu.audit_event WHERE province_id = \(world.a.id) AND action = 'phase.plan')
            """)
        await su.close()
        return try rows[0].decode(String.self, at: 0)
    }

    @Test func provinceOfficersRecordThePlanOverTheAPIAndEveryoneOfTheProvinceReadsIt() async throws {
        let world = try await AccessWorld.make()
        try await withLiveAPI(world) { api in
            let (province, district, commune, _) = try await api.officers()
            let other = try await api.login("tinh15")

            let before = try await api.call(.get, "/v1/phases/\(Self.phase)", token: commune)
            #expect(before.status == .ok && before.json["plan"] is NSNull, "\(before.text)")

            // Refused: lower levels (403), bad input (422 naming the field); nothing changes.
            let unchanged = try await Self.phaseState(world)
            for token in [district, commune] {
                let denied = try await api.call(.put, "/v1/phases/\(Self.phase)/plan", token: token, json: Self.laoCai)
                #expect(denied.status == .forbidden, "\(denied.text)")
            }
            let invalid: [([String: Any], String)] = [
                (Self.laoCai.merging(["date": "24/10/2022"]) { $1 }, "date"),
                (Self.laoCai.merging(["date": NSNull()]) { $1 }, "date"),
                (Self.laoCai.merging(["number": ""]) { $1 }, "number"),
                (Self.laoCai.merging(["number": 355]) { $1 }, "number"),
                (Self.laoCai.merging(["issuer": NSNull()]) { $1 }, "issuer"),
                (Self.laoCai.merging(["issuer": "UBND\u{1}"]) { $1 }, "issuer"),
                (Self.laoCai.merging(["title": String(repeating: "kế hoạch ", count: 60)]) { $1 }, "title"),
                (Self.laoCai.merging(["signer": "Chủ tịch"]) { $1 }, "signer"),
            ]
            for (body, field) in invalid {
                let response = try await api.call(.put, "/v1/phases/\(Self.phase)/plan", token: province, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(response.text)")
            }
            let noPhase = try await api.call(.put, "/v1/phases/2099-2103/plan", token: province, json: Self.laoCai)
            #expect(noPhase.status == .unprocessableContent && (noPhase.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "phase")
            #expect(try await Self.phaseState(world) == unchanged)

            let set = try await api.call(.put, "/v1/phases/\(Self.phase)/plan", token: province, json: Self.laoCai)
            #expect(set.status == .ok, "\(set.text)")
            let plan = try #require(set.json["plan"] as? [String: Any])
            #expect(plan["number"] as? String == "355/KH-UBND" && plan["date"] as? String == "2022-10-24" && plan["issuer"] as? String == "UBND tỉnh Lào Cai")
            #expect(plan["citation"] as? String == Self.citation && plan["title"] is NSNull)
            let read = try await api.call(.get, "/v1/phases/\(Self.phase)", token: commune)
            #expect((read.json["plan"] as? [String: Any])?["citation"] as? String == Self.citation)
            // Another province's officer reads its own phase, not this plan.
            #expect(try await api.call(.get, "/v1/phases/\(Self.phase)", token: other).json["plan"] is NSNull)

            // Audited, with what it replaced.
            let titled = Self.laoCai.merging(["title": "Thực hiện Dự án 8 giai đoạn 2021-2025"]) { $1 }
            #expect(try await api.call(.put, "/v1/phases/\(Self.phase)/plan", token: province, json: titled).status == .ok)
            let audit = try await api.call(.get, "/v1/audit?limit=2", token: province)
            let event = try #require(audit.items.first { $0["action"] as? String == "phase.plan" })
            #expect((event["before"] as? [String: Any])?["number"] as? String == "355/KH-UBND")
            #expect((event["after"] as? [String: Any])?["title"] as? String == "Thực hiện Dự án 8 giai đoạn 2021-2025")
        }

        // The reporting view shows the plan beside each phase target.
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: Self.phase, unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        let rows = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query(
                """
                SELECT plan_number, plan_date, plan_issuer, plan_citation FROM reporting.target_phase
                WHERE province_id = \(world.a.id) AND indicator_code = 'DA8-01'
                """)
        }
        #expect(rows.count == 1)
        #expect(try rows[0].decode(String.self, "plan_number") == "355/KH-UBND")
        #expect(try rows[0].decode(PostgresDate.self, "plan_date") == PostgresDate(year: 2022, month: 10, day: 24))
        #expect(try rows[0].decode(String.self, "plan_issuer") == "UBND tỉnh Lào Cai")
        #expect(try rows[0].decode(String.self, "plan_citation") == Self.citation)
        await world.shutdown()
    }

    @Test func theCommandRecordsThePlanAndTargetShowAndTheExportCiteIt() async throws {
        let commands = try await OperatorCommands.withUnitsAndCatalogue()
        func run(_ args: [String]) async throws -> CommandResult { try await commands.run(args) }
        #expect(try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", Self.phase, "--value", "424"]).status == 0)

        let none = try await run(["phase", "plan", "show", "--province", "10", "--phase", Self.phase])
        #expect(none.status == 0 && none.output.contains("not recorded"), "\(none.output)\(none.error)")
        let badDate = try await run(["phase", "plan", "set", "--province", "10", "--phase", Self.phase, "--number", "355/KH-UBND", "--date", "24/10/2022", "--issuer", "UBND tỉnh Lào Cai"])
        #expect(badDate.status == 2 && badDate.error.contains("--date"), "\(badDate.error)")
        let noIssuer = try await run(["phase", "plan", "set", "--province", "10", "--phase", Self.phase, "--number", "355/KH-UBND", "--date", "2022-10-24", "--issuer", " "])
        #expect(noIssuer.status == 1 && noIssuer.error.contains("issuer"), "\(noIssuer.error)")
        let badPhase = try await run(["phase", "plan", "set", "--province", "10", "--phase", "2099-2103", "--number", "355/KH-UBND", "--date", "2022-10-24", "--issuer", "UBND tỉnh Lào Cai"])
        #expect(badPhase.status == 1 && badPhase.error.contains("phase"), "\(badPhase.error)")

        let set = try await run(["phase", "plan", "set", "--province", "10", "--phase", Self.phase, "--number", "355/KH-UBND", "--date", "2022-10-24", "--issuer", "UBND tỉnh Lào Cai"])
        #expect(set.status == 0 && set.output.contains(Self.citation), "\(set.output)\(set.error)")
        let shown = try await run(["phase", "plan", "show", "--province", "10", "--phase", Self.phase])
        #expect(shown.output.contains(Self.citation) && shown.output.contains("24/10/2022"), "\(shown.output)")
        let shownJSONText = try await run(["phase", "plan", "show", "--province", "10", "--phase", Self.phase, "--json"]).output
        let shownJSON = try #require(try JSONSerialization.jsonObject(with: Data(shownJSONText.utf8)) as? [String: Any])
        #expect((shownJSON["plan"] as? [String: Any])?["date"] as? String == "2022-10-24")

        // `target show`: for people and for scripts.
        let table = try await run(["target", "show", "--province", "10", "--indicator", "DA8-01", "--phase", Self.phase, "--depth", "0"])
        #expect(table.output.contains("2021-2025: \(Self.citation)"), "\(table.output)")
        let rowsText = try await run(["target", "show", "--province", "10", "--indicator", "DA8-01", "--phase", Self.phase, "--json"]).output
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(rowsText.utf8)) as? [[String: Any]])
        #expect(rows.first.flatMap { $0["plan"] as? [String: Any] }?["citation"] as? String == Self.citation)

        // The report cites it on every row.
        #expect(try await run(["progress", "compute", "--province", "10", "--phase", Self.phase]).status == 0)
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-plan-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        #expect(try await run(["export", "progress", "--province", "10", "--phase", Self.phase, "--format", "csv", "--out", csv]).status == 0)
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: csv)).dropFirst(3), as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.hasSuffix("Tình trạng,Căn cứ giao chỉ tiêu") == true, "\(lines.first ?? "")")
        #expect(lines.count > 1 && lines.dropFirst().allSatisfy { $0.hasSuffix(Self.citation) })
    }
}

import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Testing

@Suite("Indicator, target and allocation commands, end to end")
struct TargetCommandTests {
    @Test func everyVerbWithItsJSONAndItsErrors() async throws {
        let db = try await TestDatabase.make()
        let commands = try OperatorCommands(db)
        func run(_ args: [String]) async throws -> CommandResult { try await commands.run(args) }

        #expect(try await run(["units", "import", "--file", commands.units2021, "--province", "10"]).status == 0)
        let imported = try await run(["indicator", "import", "--province", "10", "--file", commands.catalogue, "--json"])
        #expect(imported.status == 0, "\(imported.error)")
        #expect((try json(imported.output) as? [String: Int])?["added"] == 10)

        let added = try await run(["indicator", "add", "--province", "10", "--code", "X-1", "--name", "Câu lạc bộ thử", "--unit", "câu lạc bộ", "--kind", "stock", "--disaggregation", "sex=nữ|nam", "--json"])
        #expect(added.status == 0, "\(added.error)")
        let addedJSON = try #require(try json(added.output) as? [String: Any])
        #expect(addedJSON["name"] as? String == "Câu lạc bộ thử")
        #expect((addedJSON["disaggregation"] as? [String: [String]])?["sex"] == ["nữ", "nam"])

        let list = try await run(["indicator", "list", "--province", "10", "--json"])
        #expect((try json(list.output) as? [[String: Any]])?.count == 11)
        let show = try await run(["indicator", "show", "--province", "10", "--code", "DA8-10", "--json"])
        #expect((try json(show.output) as? [String: Any])?["status"] as? String == "suspended")
        let suspend = try await run(["indicator", "suspend", "--province", "10", "--code", "X-1", "--from", "2024-01-01", "--reason", "Dừng theo chỉ đạo", "--json"])
        #expect((try json(suspend.output) as? [String: Any])?["status"] as? String == "suspended")
        let resume = try await run(["indicator", "resume", "--province", "10", "--code", "X-1", "--json"])
        #expect((try json(resume.output) as? [String: Any])?["status"] as? String == "active")

        let set = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--value", "85", "--json"])
        #expect(set.status == 0, "\(set.error)")
        #expect((try json(set.output) as? [String: Any])?["origin"] as? String == "assigned")
        let rule = try await run(["allocation", "rule", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--minimum", "5", "--years", "1,2,2,2,1"])
        #expect(rule.status == 0, "\(rule.error)")
        let allocate = try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--indicator", "DA8-02", "--wait", "--json"])
        #expect(allocate.status == 0, "\(allocate.error)")
        #expect((try json(allocate.output) as? [String: Any])?["changed"] as? Int == 5 + 9 * 6 + 151 * 6)
        let shown = try await run(["target", "show", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--json"])
        let rows = try #require(try json(shown.output) as? [[String: Any]])
        #expect(rows.count == 10)
        #expect(rows[0]["phase"] as? Int == 85)
        #expect(rows.dropFirst().compactMap { $0["phase"] as? Int }.reduce(0, +) == 85)
        #expect(rows.dropFirst().allSatisfy { ($0["phase"] as? Int ?? 0) >= 5 })
        let table = try await run(["target", "show", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--unit", "087"])
        #expect(table.output.contains("Huyện Bảo Yên"))
        #expect(table.output.contains("Xã Điện Quan"))

        // Errors: each names what was wrong, exits 1 (2 for usage), and changes nothing.
        let unknownIndicator = try await run(["target", "set", "--province", "10", "--indicator", "NOPE", "--phase", "2021-2025", "--value", "3"])
        #expect(unknownIndicator.status == 1 && unknownIndicator.error.contains("indicator"))
        let unknownUnit = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--unit", "99999", "--value", "3"])
        #expect(unknownUnit.status == 1 && unknownUnit.error.contains("unit"))
        let otherProvince = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--unit", "04000", "--value", "3"])
        #expect(otherProvince.status == 1 && otherProvince.error.contains("unit"))
        let negative = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--value", "-3"])
        #expect(negative.status == 2 && negative.error.contains("--value"))
        let fraction = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--value", "2.5"])
        #expect(fraction.status == 2 && fraction.error.contains("value"))
        let badKind = try await run(["indicator", "add", "--province", "10", "--code", "Y", "--name", "Y", "--unit", "tổ", "--kind", "level"])
        #expect(badKind.status == 2 && badKind.error.contains("--kind"))
        let after = try await run(["target", "show", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--json"])
        #expect(after.output == shown.output)
    }

    @Test func allocationQueuedForAWorkerAndTheJobsCommands() async throws {
        let commands = try await OperatorCommands.withUnitsAndCatalogue()
        func run(_ args: [String]) async throws -> CommandResult { try await commands.run(args) }

        let first = try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--json"])
        #expect(first.status == 0, "\(first.error)")
        let queued = try #require(try json(first.output) as? [String: Any])
        let id = try #require(queued["job_id"] as? Int)
        #expect(queued["coalesced"] as? Bool == false)
        let second = try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--json"])
        #expect((try json(second.output) as? [String: Any])?["job_id"] as? Int == id)
        #expect((try json(second.output) as? [String: Any])?["coalesced"] as? Bool == true)
        let typo = try await run(["target", "allocate", "--province", "10", "--phase", "2021-2026"])
        #expect(typo.status == 1 && typo.error.contains("phase"))

        let list = try await run(["jobs", "list", "--state", "pending", "--json"])
        #expect((try json(list.output) as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
        let show = try await run(["jobs", "show", String(id), "--json"])
        #expect(show.status == 0, "\(show.error)")
        #expect((try json(show.output) as? [String: Any])?["kind"] as? String == "allocate")
        // For people, a field a line.
        let table = try await run(["jobs", "show", String(id)])
        #expect(table.status == 0 && (try? json(table.output)) == nil, "\(table.output)")
        #expect(table.output.contains("kind         allocate") && table.output.contains("state        pending"), "\(table.output)")
        #expect(try await run(["jobs", "cancel", String(id)]).status == 0)
        let again = try await run(["jobs", "cancel", String(id)])
        #expect(again.status == 1 && again.error.contains("cancelled"))
        #expect(try await run(["jobs", "retry", String(id)]).status == 0)
        let stats = try await run(["jobs", "stats", "--json"])
        #expect((try json(stats.output) as? [[String: Any]])?.contains { $0["kind"] as? String == "allocate" && $0["state"] as? String == "pending" } == true)
        let badState = try await run(["jobs", "list", "--state", "done"])
        #expect(badState.status == 2)
    }
}

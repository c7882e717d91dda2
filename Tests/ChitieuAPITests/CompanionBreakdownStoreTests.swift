import ChitieuDomain
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Members and participants broken down, in the database")
struct CompanionBreakdownStoreTests {
    @Test func aResultCarriesItsCompanionBreakdownToTheAPIAndTheReportingViews() async throws {
        let world = try await AccessWorld.make()
        let clubs = try await IndicatorStore(database: world.app).add(
            IndicatorDraft(
                code: "DA8-02", name: "Câu lạc bộ \"Thủ lĩnh của sự thay đổi\"", measureUnit: "câu lạc bộ", kind: .stock,
                companionMeasure: "thành viên", companionDisaggregation: ["sex": ["nữ", "nam"]]),
            province: world.a.id, caller: .command("test"))
        #expect(Representation.indicator(clubs)["companion_disaggregation"] as? [String: [String]] == ["sex": ["nữ", "nam"]])
        let su = try await world.db.superuserConnection()
        try await su.query("INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(world.a.id), 2024, '2099-01-25')")
        let commune = try await world.caller("xa10", in: world.a)
        let results = ResultStore(database: world.app)
        func input(_ figures: ResultFigures) -> ResultInput {
            ResultInput(
                indicatorID: clubs.id, unit: .id(world.unitsA.commune), periodStart: PostgresDate(year: 2024, month: 1, day: 1),
                periodEnd: PostgresDate(year: 2024, month: 12, day: 31), figures: figures)
        }
        func refused(_ figures: ResultFigures) async -> ChitieuError? {
            do {
                _ = try await results.create(province: world.a.id, input(figures), submit: false, idempotencyKey: nil, caller: commune)
                return nil
            } catch let error as ChitieuError where Set<ChitieuError.Code>.unprocessable.contains(error.code) { return error } catch { Issue.record("\(error)"); return nil }
        }
        let count = "SELECT count(*) FROM chitieu.result WHERE province_id = \(world.a.id)"
        let before = try await su.query(PostgresQuery(unsafeSQL: count))[0].decode(Int.self, at: 0)
        #expect(await refused(ResultFigures(value: 3, breakdown: ["sex": ["nữ": 2, "nam": 1]], companionValue: 69))?.field == "breakdown")
        #expect(await refused(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 2, "nam": 1]]))?.field
                == "companion_breakdown.sex")
        #expect(try await su.query(PostgresQuery(unsafeSQL: count))[0].decode(Int.self, at: 0) == before, "nothing written")

        let figures = ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 46, "nam": 23]])
        let (created, _) = try await results.create(province: world.a.id, input(figures), submit: true, idempotencyKey: "clb-2024", caller: commune)
        #expect(created.figures.companionBreakdown == ["sex": ["nữ": 46, "nam": 23]])
        #expect(Representation.result(created)["companion_breakdown"] as? [String: [String: Int]] == ["sex": ["nữ": 46, "nam": 23]])
        // A retry with the same key and figures is the same result; other members are other content.
        let (again, replayed) = try await results.create(province: world.a.id, input(figures), submit: true, idempotencyKey: "clb-2024", caller: commune)
        #expect(replayed && again.id == created.id)
        await expectError(.conflicts) {
            _ = try await results.create(
                province: world.a.id, input(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 40, "nam": 29]])),
                submit: true, idempotencyKey: "clb-2024", caller: commune)
        }
        // Corrected by the level above: the breakdown follows.
        let district = try await world.caller("huyen10", in: world.a)
        _ = try await results.approve(province: world.a.id, id: created.id, caller: district)
        let corrected = try await results.correct(
            province: world.a.id, id: created.id,
            figures: ResultFigures(value: 3, companionValue: 70, companionBreakdown: ["sex": ["nữ": 47, "nam": 23]]), reason: "thêm 1 thành viên",
            caller: district)
        #expect(corrected.figures.companionBreakdown == ["sex": ["nữ": 47, "nam": 23]])

        let row = try await su.query(
            """
            SELECT r.companion_breakdown::text, i.companion_disaggregation::text, r.breakdown IS NULL
            FROM reporting.result r JOIN reporting.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
            WHERE r.province_id = \(world.a.id) AND r.result_id = \(created.id)
            """)[0]
        #expect(try row.decode(String.self, at: 0) == #"{"sex": {"nam": 23, "nữ": 47}}"#)
        #expect(try row.decode(String.self, at: 1) == #"{"sex": ["nữ", "nam"]}"#)
        #expect(try row.decode(Bool.self, at: 2))
        await su.close()

        // Over HTTP: the indicator says what its companion breaks down into; a result gives it, checked the same way.
        let (clubID, communeID) = (clubs.id, world.unitsA.commune)
        try await withLiveAPI(world) { api in
            let token = try await api.login("xa10")
            let indicator = try await api.call(.get, "/v1/indicators/\(clubID)", token: token)
            #expect(indicator.json["companion_disaggregation"] as? [String: [String]] == ["sex": ["nữ", "nam"]], "\(indicator.text)")
            let body: [String: Any] = [
                "indicator_id": clubID, "unit_id": communeID, "period_start": "2024-05-01", "period_end": "2024-05-31", "value": 1, "companion_value": 20,
            ]
            let made = try await api.call(.post, "/v1/results", token: token, json: body.merging(["companion_breakdown": ["sex": ["nữ": 12, "nam": 8]]]) { $1 })
            #expect(made.status == .created, "\(made.text)")
            #expect(made.json["companion_breakdown"] as? [String: [String: Int]] == ["sex": ["nữ": 12, "nam": 8]])
            let short = try await api.call(.post, "/v1/results", token: token, json: body.merging(["companion_breakdown": ["sex": ["nữ": 12, "nam": 9]]]) { $1 })
            #expect(short.status == .unprocessableContent && short.text.contains("companion_breakdown.sex"), "\(short.text)")
            let notCounts = try await api.call(.post, "/v1/results", token: token, json: body.merging(["companion_breakdown": ["sex": ["nữ": "mười hai"]]]) { $1 })
            #expect(notCounts.status == .unprocessableContent && notCounts.text.contains("companion_breakdown.sex.nữ"), "\(notCounts.text)")
        }
        await world.shutdown()
    }

    @Test func theCommandsDeclareShowAndReportACompanionBreakdown() async throws {
        let db = try await TestDatabase.make()
        let commands = try OperatorCommands(db)
        func run(_ args: [String]) async throws -> CommandResult { try await commands.run(args) }
        func json(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:] }
        #expect(try await run(["units", "import", "--file", commands.units2021, "--province", "10"]).status == 0)
        let add = ["indicator", "add", "--province", "10", "--code", "CLB-1", "--name", "Câu lạc bộ thử", "--unit", "câu lạc bộ", "--kind", "flow"]
        let noCompanion = try await run(add + ["--companion-disaggregation", "sex=nữ|nam"])
        #expect(noCompanion.status == 1 && noCompanion.error.contains("companion-disaggregation"), "\(noCompanion.error)")
        let malformed = try await run(add + ["--companion", "thành viên", "--companion-disaggregation", "sex"])
        #expect(malformed.status == 2 && malformed.error.contains("--companion-disaggregation"), "\(malformed.error)")
        let added = try await run(add + ["--companion", "thành viên", "--companion-disaggregation", "sex=nữ|nam", "--json"])
        #expect(added.status == 0, "\(added.error)")
        #expect(try json(added.output)["companion_disaggregation"] as? [String: [String]] == ["sex": ["nữ", "nam"]])
        let shown = try await run(["indicator", "show", "--province", "10", "--code", "CLB-1"])
        #expect(shown.output.contains("companion by") && shown.output.contains("sex: nữ, nam"), "\(shown.output)")
        let listed = try await run(["indicator", "list", "--province", "10"])
        #expect(listed.output.contains("thành viên by sex: nữ, nam"), "\(listed.output)")

        let su = try await db.superuserConnection()
        try await su.query("INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) SELECT province_id, 2024, '2099-01-25' FROM chitieu.province")
        await su.close()
        let result = ["result", "add", "--province", "10", "--indicator", "CLB-1", "--unit", "02686", "--from", "2024-03-01", "--to", "2024-03-31", "--value", "1"]
        let short = try await run(result + ["--companion", "23", "--companion-breakdown", "sex=nữ:14,nam:8"])
        #expect(short.status == 1 && short.error.contains("companion_breakdown.sex"), "\(short.error)")
        let recorded = try await run(result + ["--companion", "23", "--companion-breakdown", "sex=nữ:14,nam:9", "--json"])
        #expect(recorded.status == 0, "\(recorded.error)")
        #expect(try json(recorded.output)["companion_breakdown"] as? [String: [String: Int]] == ["sex": ["nữ": 14, "nam": 9]])
    }
}

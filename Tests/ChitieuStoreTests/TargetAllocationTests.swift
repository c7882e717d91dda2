import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Indicators, targets and allocation in the database")
struct TargetAllocationTests {
    let day = PostgresDate(year: 2021, month: 1, day: 1)

    /// Lào Cai (code 10) with its 9 districts and 151 communes, the Project 8 catalogue, and a second province.
    func laoCai() async throws -> (TestDatabase, ChitieuDatabase, Province, Province) {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv"))
        for code in ["10", "15"] {
            _ = try await UnitStore(database: owner).importUnits(file.filtered(province: code), validFrom: day, validTo: nil, actor: .command("test"), source: "units-2021.csv")
        }
        let catalogue = try IndicatorCatalogueCSV.parse(try Data(contentsOf: TestDatabase.repositoryRoot().appendingPathComponent("Deploy/catalogue/project8-indicators.csv")))
        let laoCai = try await TenantStore(database: owner).resolve(code: "10")
        let yenBai = try await TenantStore(database: owner).resolve(code: "15")
        for p in [laoCai, yenBai] {
            let result = try await IndicatorStore(database: owner).importCatalogue(
                catalogue.map { .init(draft: $0.draft, suspendedFrom: $0.suspendedFrom.flatMap { PostgresDate($0) }, suspendedReason: $0.suspendedReason) },
                province: p.id, caller: .command("test"))
            #expect(result.0 == 10)
        }
        return (db, owner, laoCai, yenBai)
    }

    struct Stored {
        var level: String
        var unit: Int64
        var parent: Int64?
        var year: Int?
        var value: Int
        var locked: Bool
    }

    func storedTargets(_ db: TestDatabase, province: Int64, indicator: String) async throws -> [Stored] {
        let su = try await db.superuserConnection()
        defer { Task { await su.close() } }
        return try await su.query(
            """
            SELECT u.level, t.unit_id, u.parent_id, t.year, t.value, t.locked FROM chitieu.target t
            JOIN chitieu.admin_unit u USING (province_id, unit_id) JOIN chitieu.indicator i USING (province_id, indicator_id)
            WHERE t.province_id = \(province) AND i.code = \(indicator)
            """
        ).map { r in
            Stored(
                level: try r.decode(String.self, "level"), unit: try r.decode(Int64.self, "unit_id"), parent: try r.decode(Int64?.self, "parent_id"),
                year: try r.decode(Int16?.self, "year").map(Int.init), value: try r.decode(Int.self, "value"), locked: try r.decode(Bool.self, "locked"))
        }
    }

    @Test func laoCai424TeamsWithAtLeastOnePerCommuneAllocateExactly() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let targets = TargetStore(database: owner), rules = AllocationStore(database: owner)
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        try await rules.setRule(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil,
                                rule: AllocationRule(childMethod: "weighted", childWeights: ["080": 17, "082": 21, "083": 16, "084": 10, "085": 18, "086": 14, "087": 17, "088": 16, "089": 22], minimumPerChild: 10), caller: .command("test"))
        for district in ["080", "082", "083", "084", "085", "086", "087", "088", "089"] {
            try await rules.setRule(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: district, rule: AllocationRule(minimumPerChild: 1), caller: .command("test"))
        }
        let report = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-01", caller: .command("test"))
        #expect(report.indicators == ["DA8-01"])
        #expect(report.cells == 5 + 9 * 6 + 151 * 6)
        let cells = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01")
        let phase = cells.filter { $0.year == nil }
        #expect(phase.filter { $0.level == "district" }.map(\.value).reduce(0, +) == 424)
        #expect(phase.filter { $0.level == "commune" }.map(\.value).reduce(0, +) == 424)
        #expect(phase.filter { $0.level == "commune" }.allSatisfy { $0.value >= 1 })
        // Stock: milestones end at the phase value and every year's children sum to the parent's.
        for parent in phase where parent.level != "commune" {
            for year in 2021...2025 {
                let parentValue: Int = cells.first { $0.unit == parent.unit && $0.year == year }!.value
                let children: [Stored] = cells.filter { $0.parent == parent.unit && $0.year == year }
                let childSum: Int = children.map(\.value).reduce(0, +)
                #expect(childSum == parentValue, "year \(year) below unit \(parent.unit)")
            }
        }
        for unit in phase { #expect(cells.first { $0.unit == unit.unit && $0.year == 2025 }?.value == unit.value) }

        // Unchanged inputs: nothing changes, and no new audit event.
        let again = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-01", caller: .command("test"))
        #expect(again.changed == 0)

        // A locked override is kept by the next allocation; the others make room for it.
        let commune = try #require(phase.first { $0.level == "commune" })
        let su = try await db.superuserConnection()
        let code = try await su.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND unit_id = \(commune.unit)")[0].decode(String.self, at: 0)
        await su.close()
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: code, year: nil, value: 9, lock: true, caller: .command("test"))
        _ = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-01", caller: .command("test"))
        let after = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01")
        #expect(after.first { $0.unit == commune.unit && $0.year == nil }?.value == 9)
        #expect(after.filter { $0.level == "commune" && $0.year == nil }.map(\.value).reduce(0, +) == 424)
        await owner.pool.shutdown()
    }

    @Test func infeasibleAllocationIsRefusedAndChangesNothing() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let targets = TargetStore(database: owner), rules = AllocationStore(database: owner)
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 28, lock: false, caller: .command("test"))
        _ = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-03", caller: .command("test"))
        let before = try await storedTargets(db, province: laoCai.id, indicator: "DA8-03")
        // Two districts locked above the province's 28.
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "087", year: nil, value: 20, lock: true, caller: .command("test"))
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "086", year: nil, value: 15, lock: true, caller: .command("test"))
        let error = await expectError(.unprocessable) {
            try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-03", caller: .command("test"))
        }
        #expect(error?.reason.contains("086") == true && error?.reason.contains("087") == true)
        #expect(error?.reason.contains("35") == true && error?.reason.contains("28") == true)
        let after = try await storedTargets(db, province: laoCai.id, indicator: "DA8-03")
        // Only the two cells set by hand differ; the allocation wrote nothing.
        let changed = after.filter { a in !before.contains { $0.unit == a.unit && $0.year == a.year && $0.value == a.value } }
        #expect(changed.count == 2)
        await owner.pool.shutdown()
    }

    @Test func badTargetInputIsRefusedNamingTheField() async throws {
        let (_, owner, laoCai, yenBai) = try await laoCai()
        let targets = TargetStore(database: owner)
        func set(_ indicator: String, unit: String? = nil, year: Int? = nil, value: Int = 5, phase: String = "2021-2025") async -> ChitieuError? {
            await expectError(.unprocessable) {
                try await targets.set(province: laoCai.id, indicatorCode: indicator, phaseCode: phase, unitCode: unit, year: year, value: value, lock: false, caller: .command("test"))
            }
        }
        #expect(await set("NOPE")?.field == "indicator")
        #expect(await set("DA8-01", unit: "99999")?.field == "unit")
        // A commune of Yên Bái (province 15) is not a unit of Lào Cai.
        let yenBaiCommune = try await UnitStore(database: owner).units(of: yenBai, on: day).first { $0.level == .commune }!.code
        #expect(await set("DA8-01", unit: yenBaiCommune)?.field == "unit")
        #expect(await set("DA8-01", value: -3)?.field == "value")
        #expect(await set("DA8-01", year: 2030)?.field == "year")
        #expect(await set("DA8-01", phase: "2020-2024")?.field == "phase")
        let duplicate = await expectError(.unprocessable) {
            try await IndicatorStore(database: owner).add(
                IndicatorDraft(code: "DA8-01", name: "Trùng", measureUnit: "tổ", kind: .stock), province: laoCai.id, caller: .command("test"))
        }
        #expect(duplicate?.field == "code")
        await owner.pool.shutdown()
    }

    @Test func suspendAndResumeKeepTheRecordAndSkipAllocation() async throws {
        let (_, owner, laoCai, _) = try await laoCai()
        let store = IndicatorStore(database: owner)
        let suspended = try await store.find(code: "DA8-10", province: laoCai.id)
        #expect(suspended.status == "suspended")
        #expect(suspended.suspendedReason == "Dừng thực hiện theo chỉ đạo của Trung ương")
        _ = try await TargetStore(database: owner).set(province: laoCai.id, indicatorCode: "DA8-10", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 50, lock: false, caller: .command("test"))
        let report = try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(report.skipped.contains { $0.code == "DA8-10" && $0.reason == "suspended" })
        let resumed = try await store.resume(code: "DA8-10", province: laoCai.id, caller: .command("test"))
        #expect(resumed.status == "active")
        let again = try await store.suspend(code: "DA8-10", from: PostgresDate(year: 2023, month: 1, day: 1), reason: "Dừng theo chỉ đạo", province: laoCai.id, caller: .command("test"))
        #expect(again.status == "suspended")
        await expectError(.unprocessable) {
            try await store.suspend(code: "DA8-10", from: PostgresDate(year: 2023, month: 1, day: 1), reason: "lần nữa", province: laoCai.id, caller: .command("test"))
        }
        await owner.pool.shutdown()
    }

    @Test func weightedByAUnitAttribute() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let rows: [(code: String, name: String, value: Decimal)] =
            [("087", "population", 100)] + ["080", "082", "083", "084", "085", "086", "088", "089"].map { ($0, "population", Decimal(1)) }
        #expect(try await UnitStore(database: owner).importAttributes(rows, province: laoCai, caller: .command("test")) == 9)
        _ = try await TargetStore(database: owner).set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 28, lock: false, caller: .command("test"))
        try await AllocationStore(database: owner).setRule(
            province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: nil,
            rule: AllocationRule(childMethod: "weighted", weightAttribute: "population"), caller: .command("test"))
        _ = try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-03", caller: .command("test"))
        let cells = try await storedTargets(db, province: laoCai.id, indicator: "DA8-03")
        let districts = cells.filter { $0.level == "district" && $0.year == nil }
        #expect(districts.map(\.value).reduce(0, +) == 28)
        #expect(districts.map(\.value).max().map { (25...26).contains($0) } == true)
        // A rule naming an attribute some child lacks is refused, naming the unit.
        try await AllocationStore(database: owner).setRule(
            province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "087",
            rule: AllocationRule(childMethod: "weighted", weightAttribute: "population"), caller: .command("test"))
        let error = await expectError(.unprocessable) {
            try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-03", caller: .command("test"))
        }
        #expect(error?.reason.contains("population") == true)
        await owner.pool.shutdown()
    }

    @Test func aUnitThatEndedGetsNoTargetAfterwards() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let su = try await db.superuserConnection()
        // Xã Điện Quan (02959) ends on 30 June 2023.
        try await su.query("UPDATE chitieu.admin_unit SET valid_to = '2023-06-30' WHERE province_id = \(laoCai.id) AND code = '02959'")
        let ended = try await su.query("SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND code = '02959'")[0].decode(Int64.self, at: 0)
        await su.close()
        for (code, value) in [("DA8-06", 600), ("DA8-01", 424)] {
            _ = try await TargetStore(database: owner).set(province: laoCai.id, indicatorCode: code, phaseCode: "2021-2025", unitCode: nil, year: nil, value: value, lock: false, caller: .command("test"))
            _ = try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: code, caller: .command("test"))
        }
        let flow = try await storedTargets(db, province: laoCai.id, indicator: "DA8-06").filter { $0.unit == ended }
        #expect(flow.first { $0.year == 2024 }?.value == 0)
        #expect(flow.first { $0.year == 2025 }?.value == 0)
        let flowTotal = flow.first { $0.year == nil }?.value ?? -1
        #expect(flowTotal > 0)
        #expect(flow.filter { $0.year != nil }.map(\.value).reduce(0, +) == flowTotal)
        let stock = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01").filter { $0.unit == ended }
        #expect(stock.allSatisfy { $0.value == 0 })
        // The district's children still sum to it every year.
        let all = try await storedTargets(db, province: laoCai.id, indicator: "DA8-06")
        let district = try #require(all.first { $0.unit == flow[0].parent && $0.year == 2024 })
        #expect(all.filter { $0.parent == district.unit && $0.year == 2024 }.map(\.value).reduce(0, +) == district.value)
        await owner.pool.shutdown()
    }

    @Test func anAllocationJobRunByAWorkerAsTheAppRole() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        _ = try await TargetStore(database: owner).set(province: laoCai.id, indicatorCode: "DA8-04", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 23, lock: false, caller: .command("test"))
        let app = db.appPool(maxConnections: 4)
        let queue = JobQueue(pool: app)
        let id = try await queue.enqueue(kind: "allocate", provinceID: laoCai.id, uniqueKey: "allocate:\(laoCai.id):2021-2025:DA8-04",
                                         args: #"{"province_id": \#(laoCai.id), "phase": "2021-2025", "indicator": "DA8-04"}"#).id
        let worker = JobWorker(
            queue: queue, handlers: StandardJobs.handlers(database: ChitieuDatabase(pool: app)),
            configuration: JobWorkerConfiguration(concurrency: 1, pollInterval: .milliseconds(100)), listen: nil, logger: TestDatabase.logger)
        try await worker.whileRunning {
            _ = try await eventually(every: .milliseconds(50)) { try await queue.find(id).state == .succeeded }
        }
        #expect(try await queue.find(id).state == .succeeded)
        let cells = try await storedTargets(db, province: laoCai.id, indicator: "DA8-04")
        #expect(cells.filter { $0.level == "commune" && $0.year == nil }.map(\.value).reduce(0, +) == 23)
        let su = try await db.superuserConnection()
        let actor = try await su.query("SELECT actor_label FROM chitieu.audit_event WHERE action = 'target.allocate'")[0].decode(String.self, at: 0)
        #expect(actor == "job:\(id)")
        await su.close()
        await app.shutdown()
        await owner.pool.shutdown()
    }
}

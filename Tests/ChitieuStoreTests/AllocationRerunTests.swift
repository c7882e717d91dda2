import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Postgres
import Testing

extension TargetAllocationTests {
    /// The phase's commune-level phase values of an indicator, summed.
    func communeTotal(_ db: TestDatabase, province: Int64, indicator: String) async throws -> Int {
        try await storedTargets(db, province: province, indicator: indicator).filter { $0.level == "commune" && $0.year == nil }.map(\.value).reduce(0, +)
    }

    /// How many `target.allocate` events the province has.
    func allocateEvents(_ db: TestDatabase, province: Int64) async throws -> Int {
        let su = try await db.superuserConnection()
        defer { Task { await su.close() } }
        return try await su.query(
            "SELECT count(*)::int FROM chitieu.audit_event WHERE province_id = \(province) AND action = 'target.allocate'")[0].decode(Int.self, at: 0)
    }

    @Test func aRerunWithUnchangedInputsReadsTheFingerprintAndWritesNothing() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let targets = TargetStore(database: owner), rules = AllocationStore(database: owner)
        for (code, value) in [("DA8-01", 424), ("DA8-03", 28)] {
            _ = try await targets.set(province: laoCai.id, indicatorCode: code, phaseCode: "2021-2025", unitCode: nil, year: nil, value: value, lock: false, caller: .command("test"))
        }
        let first = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(!first.upToDate && first.changed == first.cells && first.indicators == ["DA8-01", "DA8-03"])
        let cells = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01")
        let events = try await allocateEvents(db, province: laoCai.id)

        let again = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(again.upToDate && again.changed == 0 && again.rowsRead == 1 && again.cells == 0)
        // Naming one indicator, the province being as the last full allocation left it is enough too.
        let one = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-03", caller: .command("test"))
        #expect(one.upToDate && one.changed == 0)
        #expect(try await storedTargets(db, province: laoCai.id, indicator: "DA8-01").map(\.value) == cells.map(\.value))
        #expect(try await allocateEvents(db, province: laoCai.id) == events)

        // A cell deleted behind the allocation's back is noticed and written again.
        let su = try await db.superuserConnection()
        let commune = try #require(cells.first { $0.level == "commune" && $0.year == nil })
        try await su.query("DELETE FROM chitieu.target WHERE province_id = \(laoCai.id) AND unit_id = \(commune.unit) AND year IS NULL AND value = \(commune.value) AND origin = 'allocated'")
        await su.close()
        let repaired = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(!repaired.upToDate && repaired.changed == 1)
        #expect(try await communeTotal(db, province: laoCai.id, indicator: "DA8-01") == 424)
        await owner.pool.shutdown()
    }

    /// A cell the run's snapshot lacks is inserted without ON CONFLICT; another transaction
    /// inserting the same cell meanwhile makes the run start again, and the new run keeps it.
    @Test func aCellInsertedMeanwhileByAnotherTransactionRestartsTheRunWhichKeepsIt() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let rules = AllocationStore(database: owner)
        _ = try await TargetStore(database: owner).set(
            province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        let su = try await db.superuserConnection()
        let keys = try await su.query(
            """
            SELECT (SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND level = 'commune' ORDER BY code LIMIT 1) AS unit,
                   (SELECT indicator_id FROM chitieu.indicator WHERE province_id = \(laoCai.id) AND code = 'DA8-01') AS indicator,
                   (SELECT phase_id FROM chitieu.phase WHERE province_id = \(laoCai.id) AND code = '2021-2025') AS phase
            """)[0]
        let (unit, indicator, phase) = (try keys.decode(Int64.self, "unit"), try keys.decode(Int64.self, "indicator"), try keys.decode(Int64.self, "phase"))
        // The other transaction's cell, a locked 9, is not committed when the run takes its snapshot.
        let other = try await db.superuserConnection()
        try await other.query("BEGIN")
        try await other.query(
            """
            INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin, locked)
            VALUES (\(laoCai.id), \(indicator), \(unit), \(phase), NULL, 9, 'assigned', true)
            """)
        let run = Task { try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test")) }
        let waiting = try await eventually {
            try await su.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO chitieu.target AS t%'"
            )[0].decode(Int.self, at: 0) > 0
        }
        #expect(waiting, "the run never waited for the other transaction's cell")
        try await other.query("COMMIT")
        let report = try await run.value
        #expect(!report.upToDate && report.indicators == ["DA8-01"])
        let cells = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01")
        let kept = try #require(cells.first { $0.unit == unit && $0.year == nil })
        #expect(kept.value == 9 && kept.locked)
        #expect(try await communeTotal(db, province: laoCai.id, indicator: "DA8-01") == 424)
        await other.close()
        await su.close()
        await owner.pool.shutdown()
    }

    @Test func aChangedLockTargetOrRuleIsPickedUpByTheNextRun() async throws {
        let (db, owner, laoCai, _) = try await laoCai()
        let targets = TargetStore(database: owner), rules = AllocationStore(database: owner)
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        _ = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        let su = try await db.superuserConnection()
        let commune = try await su.query(
            "SELECT code FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND level = 'commune' ORDER BY code LIMIT 1")[0].decode(String.self, at: 0)
        await su.close()

        // A lock: the locked commune keeps 9, the others make room for it.
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: commune, year: nil, value: 9, lock: true, caller: .command("test"))
        let locked = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(!locked.upToDate && locked.changed > 0)
        #expect(try await communeTotal(db, province: laoCai.id, indicator: "DA8-01") == 424)
        #expect(try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test")).upToDate)

        // A target: the province's phase value.
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 500, lock: false, caller: .command("test"))
        let raised = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(!raised.upToDate && raised.changed > 0)
        #expect(try await communeTotal(db, province: laoCai.id, indicator: "DA8-01") == 500)

        // A rule: the districts weighted, as the province's plan says (run for this indicator only).
        try await rules.setRule(
            province: laoCai.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil,
            rule: AllocationRule(childMethod: "weighted", childWeights: ["080": 17, "082": 21, "083": 16, "084": 10, "085": 18, "086": 14, "087": 17, "088": 16, "089": 22]),
            caller: .command("test"))
        let ruled = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: "DA8-01", caller: .command("test"))
        #expect(!ruled.upToDate && ruled.changed > 0)
        let districts = try await storedTargets(db, province: laoCai.id, indicator: "DA8-01").filter { $0.level == "district" && $0.year == nil }
        // 500 × 22/151 = 72.8 for the largest district.
        #expect(districts.map(\.value).reduce(0, +) == 500 && (72...73).contains(districts.map(\.value).max() ?? 0))
        // A run naming one indicator stores no fingerprint: the next full run still reads and checks.
        let full = try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        #expect(!full.upToDate && full.changed == 0)
        #expect(try await rules.allocate(province: laoCai.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test")).upToDate)
        await owner.pool.shutdown()
    }
}

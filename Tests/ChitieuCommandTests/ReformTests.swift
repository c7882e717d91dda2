import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("The 2025 reform: Lào Cai (10) and Yên Bái (15) merged into the new Lào Cai (15)")
struct ReformTests {
    let reformDay = PostgresDate(year: 2025, month: 7, day: 1)

    /// Both old provinces with phase I data: a flow indicator (courses) and the stock indicator of
    /// the world (teams), targets on every commune and the province, approved results in 2023 and
    /// in January–June 2025.
    func world() async throws -> (AccessWorld, ChitieuDatabase) {
        let world = try await AccessWorld.make()
        let su = try await world.db.superuserConnection()
        for p in [world.a, world.b] {
            try await su.query(
                """
                INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind)
                VALUES (\(p.id), 'DA8-03', 'Lớp tập huấn giám sát bình đẳng giới', 'lớp', 'flow')
                """)
            try await su.query(
                """
                INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin)
                SELECT i.province_id, i.indicator_id, u.unit_id, ph.phase_id, NULL, CASE WHEN u.level = 'province' THEN 3 * n.communes ELSE 3 END, 'assigned'
                FROM chitieu.indicator i
                JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level IN ('province', 'commune')
                JOIN chitieu.phase ph ON ph.province_id = i.province_id AND ph.code = '2021-2025'
                CROSS JOIN (SELECT count(*) AS communes FROM chitieu.admin_unit WHERE province_id = \(p.id) AND level = 'commune') n
                WHERE i.province_id = \(p.id)
                """)
            try await su.query(
                """
                INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, decided_at)
                SELECT i.province_id, i.indicator_id, u.unit_id, d.s, d.e, 1 + (u.unit_id % 3), 'approved', now()
                FROM chitieu.indicator i
                JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level = 'commune'
                CROSS JOIN (VALUES ('2023-01-01'::date, '2023-12-31'::date), ('2025-01-01', '2025-06-30')) d (s, e)
                WHERE i.province_id = \(p.id)
                """)
        }
        await su.close()
        return (world, ChitieuDatabase(pool: world.db.ownerPool()))
    }

    func phaseI(_ db: ChitieuDatabase, _ p: Province) async throws -> Int64 {
        try await ProgressStore(database: db).phaseIDs(province: p.id, code: "2021-2025")[0]
    }

    /// The phase figure of an indicator at the province's own unit(s) of a level, from a table.
    func root(_ db: ChitieuDatabase, _ p: Province, table: String, code: String, unitCode: String? = nil) async throws -> (target: Int?, achieved: Int) {
        try await db.withTenant(p.id) { tx in
            let row = try await tx.query(PostgresQuery(
                unsafeSQL: """
                    SELECT f.target, f.achieved FROM chitieu.\(table) f JOIN chitieu.phase ph ON ph.province_id = f.province_id AND ph.phase_id = f.phase_id
                    JOIN chitieu.admin_unit u ON u.province_id = f.province_id AND u.unit_id = f.unit_id
                    WHERE f.province_id = $1 AND ph.code = '2021-2025' AND f.year IS NULL AND f.indicator_code = $2 AND f.unit_level = 'province'
                      AND f.unit_code = $3
                    ORDER BY u.valid_from DESC LIMIT 1
                    """,
                bindings: { var b = PostgresBindings(); b.append(p.id); b.append(code); b.append(unitCode ?? p.code); return b }()))[0]
            return (try row.decode(Int?.self, at: 0), try row.decode(Int.self, at: 1))
        }
    }

    func count(_ db: ChitieuDatabase, _ p: Province, _ sql: String) async throws -> Int {
        try await db.withTenant(p.id) { tx in
            try await tx.query(PostgresQuery(unsafeSQL: sql, bindings: { var b = PostgresBindings(); b.append(p.id); return b }()))[0].decode(Int.self, at: 0)
        }
    }

    @Test func laoCaiEndToEnd() async throws {
        let (world, owner) = try await world()
        let progress = ProgressStore(database: owner)
        for p in [world.a, world.b] { _ = try await progress.compute(province: p.id, phaseID: try await phaseI(owner, p)) }
        let before10 = try await root(owner, world.a, table: "progress", code: "DA8-03")
        let before15 = try await root(owner, world.b, table: "progress", code: "DA8-03")
        let results10 = try await count(owner, world.a, "SELECT count(*) FROM chitieu.result WHERE province_id = $1")
        let results15 = try await count(owner, world.b, "SELECT count(*) FROM chitieu.result WHERE province_id = $1")
        #expect(before10.achieved > 0 && before15.achieved > 0)

        // The reform, for the new Lào Cai only, with the real files.
        let reform = ReformStore(database: owner)
        let (report, laoCai) = try await applyReform2025(province: "15", owner)
        #expect(report.merges.count == 1)
        #expect(report.merges[0].parts.map(\.predecessor.code) == ["10", "15"])
        #expect(laoCai.id != world.b.id && laoCai.validFrom == reformDay)
        #expect(try await TenantStore(database: owner).resolve(code: "15", on: PostgresDate(year: 2025, month: 6, day: 30)).id == world.b.id,
                "code 15 before the reform is still Yên Bái")
        #expect((report.succession.linksByProvince["15"] ?? 0) > 0)

        // Running it again copies nothing twice.
        let again = try await applyReform2025(province: "15", owner).report
        #expect(again.merges.isEmpty)
        await expectError(.unprocessable) { _ = try await reform.merge(into: laoCai, from: [world.a], on: reformDay, actor: .command("test")) }

        // Nothing lost, nothing counted twice: every predecessor result once, under its own id.
        #expect(try await count(owner, laoCai, "SELECT count(*) FROM chitieu.result WHERE province_id = $1") == results10 + results15)
        #expect(try await count(owner, laoCai, "SELECT count(DISTINCT result_id) FROM chitieu.result WHERE province_id = $1") == results10 + results15)

        // July–December 2025 on a new commune; January–June on it is refused, as is anything on an old commune.
        let newCommune = try await owner.withTenant(laoCai.id) { tx in
            try await tx.query(
                "SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND level = 'commune' AND valid_from = '2025-07-01' ORDER BY code LIMIT 1"
            )[0].decode(Int64.self, at: 0)
        }
        let flow = try await owner.withTenant(laoCai.id) { tx in
            try await tx.query("SELECT indicator_id FROM chitieu.indicator WHERE province_id = \(laoCai.id) AND code = 'DA8-03'")[0].decode(Int64.self, at: 0)
        }
        let su0 = try await world.db.superuserConnection()
        try await su0.query("INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(laoCai.id), 2025, '2099-01-25')")
        await su0.close()
        let results = ResultStore(database: owner)
        let late = ResultInput(
            indicatorID: flow, unit: .id(newCommune), periodStart: PostgresDate(year: 2025, month: 7, day: 1),
            periodEnd: PostgresDate(year: 2025, month: 9, day: 30), figures: ResultFigures(value: 5))
        let (created, _) = try await results.create(province: laoCai.id, late, submit: true, idempotencyKey: nil, caller: .command("test"))
        _ = try await results.approve(province: laoCai.id, id: created.id, caller: .command("test"))
        var early = late
        early.periodStart = PostgresDate(year: 2025, month: 1, day: 1)
        early.periodEnd = PostgresDate(year: 2025, month: 3, day: 31)
        await expectError(.unprocessable) { _ = try await results.create(province: laoCai.id, early, submit: false, idempotencyKey: nil, caller: .command("test")) }
        var onOld = early
        onOld.unit = .id(world.unitsA.commune)
        await expectError(.conflicts) { _ = try await results.create(province: laoCai.id, onOld, submit: false, idempotencyKey: nil, caller: .command("test")) }

        // Phase totals: the predecessors' together, plus July–December on the new units.
        _ = try await progress.compute(province: laoCai.id, phaseID: try await phaseI(owner, laoCai))
        let asReported = try await root(owner, laoCai, table: "progress", code: "DA8-03")
        #expect(asReported.achieved == before10.achieved + before15.achieved + 5)
        #expect(asReported.target == before10.target! + before15.target!)
        // The old provinces' own units keep their figures, as they were.
        #expect(try await root(owner, laoCai, table: "progress", code: "DA8-03", unitCode: "10").achieved == before10.achieved)

        // On today's units: the same totals, and the communes' figures add up to them.
        let onUnits = try await root(owner, laoCai, table: "progress_on_units", code: "DA8-03")
        #expect(onUnits.achieved == asReported.achieved)
        #expect(onUnits.target == asReported.target)
        let communeSums = try await owner.withTenant(laoCai.id) { tx in
            let row = try await tx.query(
                """
                SELECT sum(achieved)::bigint, sum(target)::bigint, count(*) FILTER (WHERE unit_id IN (
                    SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND valid_to IS NOT NULL))::bigint
                FROM chitieu.progress_on_units
                WHERE province_id = \(laoCai.id) AND year IS NULL AND indicator_code = 'DA8-03' AND unit_level = 'commune'
                """)[0]
            return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
        }
        #expect(communeSums.0 == asReported.achieved)
        #expect(communeSums.1 == asReported.target)
        #expect(communeSums.2 == 0, "only today's units")
        // The stock indicator: year-end 2025 levels on the new units take over from the old ones without double counting.
        let stockRoot = try await root(owner, laoCai, table: "progress_on_units", code: "DA8-01")
        let stockReported = try await root(owner, laoCai, table: "progress", code: "DA8-01")
        #expect(stockRoot.achieved == stockReported.achieved)

        // Old provinces' reporting logins keep reading what they had, and only that.
        let su = try await world.db.superuserConnection()
        let role = "test_reform_\(UInt32.random(in: 0...UInt32.max))"
        try await su.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) NOLOGIN IN ROLE chitieu_reporting, chitieu_p\(world.a.id)"))
        try await su.query(PostgresQuery(unsafeSQL: "SET ROLE \(role)"))
        let seen = try await su.query("SELECT count(*) FILTER (WHERE province_id = \(world.a.id)), count(*) FROM reporting.result")[0]
        try await su.query("RESET ROLE")
        try await su.query(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"))
        await su.close()
        #expect(try seen.decode(Int.self, at: 0) == results10)
        #expect(try seen.decode(Int.self, at: 1) == results10)

        // Grants follow the structure: the commune officer reads the old commune, and is proposed its successor.
        let grants = try await owner.withTenant(laoCai.id) { tx in
            try await tx.query(
                """
                SELECT g.role, g.valid_to IS NULL AS open FROM chitieu.role_grant g JOIN chitieu.account a USING (province_id, account_id)
                WHERE g.province_id = \(laoCai.id) AND a.username = 'xa10' ORDER BY g.grant_id
                """
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Bool.self, at: 1)) }
        }
        #expect(grants.map(\.0) == ["commune", "viewer"] && grants.map(\.1) == [false, true])
        let proposals = try await reform.proposals(province: laoCai)
        #expect(proposals.contains { $0.username == "xa10" && $0.role == "commune" })
        #expect(proposals.contains { $0.username == "tinh10" && $0.role == "province" && $0.newUnitCode == "15" })
        #expect(!proposals.contains { $0.username == "huyen10" }, "district grants end with the district")
        let made = try await reform.confirm(province: laoCai, proposals.map { ($0.grantID, $0.newUnitCode) }, caller: .command("test"))
        #expect(made == proposals.count)
        #expect(try await reform.proposals(province: laoCai).isEmpty)
        // The merge is in the audit log of both sides.
        #expect(try await count(owner, laoCai, "SELECT count(*) FROM chitieu.audit_event WHERE province_id = $1 AND action = 'tenant.merge'") == 2)
        #expect(try await count(owner, world.a, "SELECT count(*) FROM chitieu.audit_event WHERE province_id = $1 AND action = 'tenant.merged_into'") == 1)
        // The account moved: its username now belongs to the new province.
        #expect(try await count(owner, world.a, "SELECT count(*) FROM chitieu.account WHERE province_id = $1") == 0)

        // Over the API, the officer of old Lào Cai signs in to the new province and reads both ways.
        let expected = asReported.achieved
        try await withLiveAPI(world) { api in
            let token = try await api.login("tinh10")
            let onToday = try await api.call(.get, "/v1/progress?phase=2021-2025&indicator=DA8-03&depth=1&as_of_units=2025-07-01", token: token)
            #expect(onToday.status == .ok, "\(onToday.text)")
            let root = onToday.items.first { $0["unit_level"] as? String == "province" }
            #expect((root?["achieved"] as? NSNumber)?.intValue == expected)
            #expect(onToday.items.filter { $0["unit_level"] as? String == "commune" }.compactMap { ($0["achieved"] as? NSNumber)?.intValue }.reduce(0, +) == expected)
            let reported = try await api.call(.get, "/v1/progress?phase=2021-2025&indicator=DA8-03&depth=1", token: token)
            #expect(reported.items.contains { $0["unit_code"] as? String == "10" }, "the history it took over, as it was")
            let bad = try await api.call(.get, "/v1/progress?phase=2021-2025&as_of_units=1-7-2025", token: token)
            #expect(bad.status == .unprocessableContent && bad.text.contains("as_of_units"))
        }
    }

    /// Stock levels across the reform, counted by hand: every old commune reported a level in 2023
    /// and 2024, some in January–June 2025; ten new communes reported approved levels in July–December
    /// 2025 and one a submitted level. A successor's report supersedes its predecessors' levels, in the
    /// year and for the phase; levels of old communes whose successors did not report still count.
    @Test func stockPhaseFiguresCountEachOldCommuneOnceAfterTheReform() async throws {
        let (world, owner) = try await world()
        let su = try await world.db.superuserConnection()
        for p in [world.a, world.b] {
            try await su.query(
                "DELETE FROM chitieu.result WHERE province_id = \(p.id) AND indicator_id IN (SELECT indicator_id FROM chitieu.indicator WHERE province_id = \(p.id) AND code = 'DA8-01')")
            try await su.query(
                """
                INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, decided_at)
                SELECT i.province_id, i.indicator_id, u.unit_id, d.s, d.e, d.v, 'approved', now()
                FROM chitieu.indicator i
                JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level = 'commune'
                CROSS JOIN (VALUES ('2023-01-01'::date, '2023-12-31'::date, 1), ('2024-01-01', '2024-12-31', 2), ('2025-01-01', '2025-06-30', 3)) d (s, e, v)
                WHERE i.province_id = \(p.id) AND i.code = 'DA8-01' AND (d.v < 3 OR u.unit_id % 5 = 0)
                """)
        }
        let laoCai = try await applyReform2025(province: "15", owner).province
        let newCommunes = try await su.query(
            "SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND level = 'commune' AND valid_from = '2025-07-01' ORDER BY code LIMIT 11"
        ).map { try $0.decode(Int64.self, at: 0) }
        let (approvedNew, submittedNew) = (Set(newCommunes.prefix(10)), Set(newCommunes.suffix(1)))
        try await su.query(
            """
            INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, submitted_at, decided_at)
            SELECT i.province_id, i.indicator_id, u, '2025-07-01', '2025-12-31', CASE WHEN u = \(newCommunes[10]) THEN 20 ELSE 10 END,
                   CASE WHEN u = \(newCommunes[10]) THEN 'submitted' ELSE 'approved' END, now(),
                   CASE WHEN u = \(newCommunes[10]) THEN NULL ELSE now() END
            FROM chitieu.indicator i CROSS JOIN unnest(\(newCommunes)::bigint[]) AS u
            WHERE i.province_id = \(laoCai.id) AND i.code = 'DA8-01'
            """)
        // The old communes and their latest levels, and who took over from them.
        let oldLevels = Dictionary(uniqueKeysWithValues: try await su.query(
            "SELECT unit_id, CASE WHEN unit_id % 5 = 0 THEN 3 ELSE 2 END FROM chitieu.admin_unit WHERE province_id = \(laoCai.id) AND level = 'commune' AND valid_to = '2025-06-30'"
        ).map { (try $0.decode(Int64.self, at: 0), try $0.decode(Int.self, at: 1)) })
        var successors: [Int64: Set<Int64>] = [:]
        for row in try await su.query("SELECT from_unit_id, to_unit_id FROM chitieu.unit_succession WHERE province_id = \(laoCai.id)") {
            successors[try row.decode(Int64.self, at: 0), default: []].insert(try row.decode(Int64.self, at: 1))
        }
        await su.close()
        let superseded = oldLevels.keys.filter { !(successors[$0] ?? []).isDisjoint(with: approvedNew) }
        let supersededWithSubmitted = oldLevels.keys.filter { !(successors[$0] ?? []).isDisjoint(with: approvedNew.union(submittedNew)) }
        #expect(!superseded.isEmpty && superseded.count < oldLevels.count && supersededWithSubmitted.count > superseded.count)
        #expect(superseded.contains { oldLevels[$0] == 2 }, "some superseded communes last reported in 2024")
        let expected = 10 * approvedNew.count + oldLevels.filter { !superseded.contains($0.key) }.map(\.value).reduce(0, +)
        let expectedWithSubmitted = 10 * approvedNew.count + 20 + oldLevels.filter { !supersededWithSubmitted.contains($0.key) }.map(\.value).reduce(0, +)

        _ = try await ProgressStore(database: owner).compute(province: laoCai.id, phaseID: try await phaseI(owner, laoCai))
        let root = try await rootUnit(owner, laoCai)
        func figure(_ year: String) async throws -> (achieved: Int, withSubmitted: Int) {
            try await owner.withTenant(laoCai.id) { tx in
                let row = try await tx.query(PostgresQuery(
                    unsafeSQL: """
                        SELECT achieved, achieved_with_submitted FROM chitieu.progress
                        WHERE province_id = $1 AND unit_id = $2 AND indicator_code = 'DA8-01' AND year IS NOT DISTINCT FROM \(year)
                        """,
                    bindings: { var b = PostgresBindings(); b.append(laoCai.id); b.append(root); return b }()))[0]
                return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
            }
        }
        let phase = try await figure("NULL")
        #expect(phase.achieved == expected, "each old commune's level counts once, unless a successor reported since")
        #expect(phase.withSubmitted == expectedWithSubmitted)
        let reportedIn2025 = oldLevels.filter { $0.value == 3 && !superseded.contains($0.key) }.count
        #expect(try await figure("2025").achieved == 10 * approvedNew.count + 3 * reportedIn2025, "the year counts the levels reported in it")
        #expect(try await figure("2024").achieved == 2 * oldLevels.count, "history stays as it was")
    }

    /// The id of a province's own unit of today.
    func rootUnit(_ db: ChitieuDatabase, _ p: Province) async throws -> Int64 {
        try await db.withTenant(p.id) { tx in
            try await tx.query(
                "SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(p.id) AND level = 'province' AND valid_to IS NULL"
            )[0].decode(Int64.self, at: 0)
        }
    }

    @Test func aReusedCommuneCodeNeverMixesOldAndNewData() async throws {
        let (world, owner) = try await world()
        let laoCai = try await applyReform2025(province: "15", owner).province
        // A code both an old and a new commune of the merged province carry.
        let pair = try await owner.withTenant(laoCai.id) { tx in
            try await tx.query(
                """
                SELECT o.unit_id, n.unit_id, o.code FROM chitieu.admin_unit o
                JOIN chitieu.admin_unit n ON n.province_id = o.province_id AND n.code = o.code AND n.level = 'commune' AND n.valid_from = '2025-07-01'
                WHERE o.province_id = \(laoCai.id) AND o.level = 'commune' AND o.valid_to = '2025-06-30' ORDER BY o.code LIMIT 1
                """)[0]
        }
        let (old, new, code) = (try pair.decode(Int64.self, at: 0), try pair.decode(Int64.self, at: 1), try pair.decode(String.self, at: 2))
        #expect(old != new)
        let unit = try await owner.withTenant(laoCai.id) { tx in try await tx.resolve.unit(.code(code), field: "unit") }
        #expect(unit.id == new, "a code names today's unit")
        _ = try await ProgressStore(database: owner).compute(province: laoCai.id, phaseID: try await phaseI(owner, laoCai))
        let (oldAchieved, newAchieved) = try await owner.withTenant(laoCai.id) { tx in
            let rows = try await tx.query(
                """
                SELECT unit_id, achieved FROM chitieu.progress
                WHERE province_id = \(laoCai.id) AND year IS NULL AND indicator_code = 'DA8-03' AND unit_id IN (\(old), \(new))
                """)
            let byUnit = Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(Int.self, at: 1)) })
            return (byUnit[old] ?? -1, byUnit[new] ?? -1)
        }
        #expect(oldAchieved > 0, "the old commune keeps its results")
        #expect(newAchieved == 0, "the new commune of the same code has none of them as reported")
    }

    @Test func splitWeightsSetByTheProvinceMoveTheShares() async throws {
        // Hà Nội: Phường Cống Vị (00007) was split between Ngọc Hà (00008) and Giảng Võ (00025).
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let old = try await hanoiWithCongViTarget(db, owner, indicator: "DA8-03", target: 7, origin: "assigned")
        let su = try await db.superuserConnection()
        try await su.query(
            """
            INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, decided_at)
            SELECT i.province_id, i.indicator_id, u.unit_id, '2023-01-01', '2023-12-31', 9, 'approved', now()
            FROM chitieu.indicator i JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.code = '00007' WHERE i.province_id = \(old.id)
            """)
        await su.close()
        let reform = ReformStore(database: owner)
        let hanoi = try await applyReform2025(province: "01", owner).province
        // Commune 00004 was Phường Trúc Bạch and is now Phường Ba Đình: two units that share nothing.
        let (trucBach, baDinh) = try await owner.withTenant(hanoi.id) { tx in
            let rows = try await tx.query(
                "SELECT unit_id, name FROM chitieu.admin_unit WHERE province_id = \(hanoi.id) AND code = '00004' ORDER BY valid_from")
            return ((try rows[0].decode(Int64.self, at: 0), try rows[0].decode(String.self, at: 1)), (try rows[1].decode(Int64.self, at: 0), try rows[1].decode(String.self, at: 1)))
        }
        #expect(trucBach.1 == "Phường Trúc Bạch" && baDinh.1 == "Phường Ba Đình" && trucBach.0 != baDinh.0)
        #expect(try await owner.withTenant(hanoi.id) { tx in try await tx.resolve.unit(.code("00004"), field: "unit").id } == baDinh.0)
        func shares() async throws -> [String: (target: Int?, achieved: Int)] {
            let figures = try await ProgressStore(database: owner).figuresOnUnits(
                province: hanoi.id, phaseCode: "2021-2025", asOf: reformDay, year: nil, indicatorCode: "DA8-03", caller: .command("test"))
            #expect(figures.unplaced.isEmpty)
            let root = try #require(figures.figures.first { $0.unitLevel == .province })
            let communes = figures.figures.filter { $0.unitLevel == .commune }
            #expect(communes.map(\.achieved).reduce(0, +) == 9 && root.achieved == 9, "totals preserved")
            #expect(communes.compactMap(\.target).reduce(0, +) == 7)
            return Dictionary(uniqueKeysWithValues: communes.filter { ["00008", "00025"].contains($0.unitCode) }.map { ($0.unitCode, ($0.target, $0.achieved)) })
        }
        // Equal parts by default: 9 → 5 + 4 (floor or ceiling of 4.5), 7 → 4 + 3.
        let equal = try await shares()
        #expect(Set([equal["00008"]!.achieved, equal["00025"]!.achieved]) == [4, 5])
        #expect(Set([equal["00008"]!.target, equal["00025"]!.target]) == [3, 4])
        await expectError(.unprocessable) {
            _ = try await reform.setWeights(province: hanoi, oldCode: "00007", weights: ["00008": 1], caller: .command("test"))
        }
        await expectError(.unprocessable) {
            _ = try await reform.setWeights(province: hanoi, oldCode: "00007", weights: ["00008": 2, "00070": 1], caller: .command("test"))
        }
        #expect(try await reform.setWeights(province: hanoi, oldCode: "00007", weights: ["00008": 2, "00025": 1], caller: .command("test")) == 2)
        let weighted = try await shares()
        #expect(weighted["00008"]!.achieved == 6 && weighted["00025"]!.achieved == 3, "9 × 2/3 and 9 × 1/3")
        #expect(weighted["00008"]!.target! + weighted["00025"]!.target! == 7 && weighted["00008"]!.target! >= 4)
        let su2 = try await db.superuserConnection()
        try await su2.query(
            """
            INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, decided_at)
            SELECT \(hanoi.id), indicator_id, \(trucBach.0), '2024-01-01', '2024-12-31', 4, 'approved', now()
            FROM chitieu.indicator WHERE province_id = \(hanoi.id) AND code = 'DA8-03'
            """)
        await su2.close()
        _ = try await ProgressStore(database: owner).compute(province: hanoi.id, phaseID: try await phaseI(owner, hanoi))
        let asReported = try await owner.withTenant(hanoi.id) { tx in
            try await tx.query(
                """
                SELECT unit_id, achieved FROM chitieu.progress WHERE province_id = \(hanoi.id) AND year IS NULL AND indicator_code = 'DA8-03'
                  AND unit_id IN (\(trucBach.0), \(baDinh.0))
                """
            ).reduce(into: [Int64: Int]()) { $0[try $1.decode(Int64.self, at: 0)] = try $1.decode(Int.self, at: 1) }
        }
        #expect(asReported[trucBach.0] == 4 && asReported[baDinh.0] == 0, "as reported, the new 00004 has none of the old one's results")
    }

    @Test func phaseTwoIsPlannedOnTheNewUnitsAndPhaseOneTargetsAreHistory() async throws {
        let (world, owner) = try await world()
        let laoCai = try await applyReform2025(province: "15", owner).province
        let targets = TargetStore(database: owner)
        // Phase II: the new province → its communes, exact.
        _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2026-2030", unitCode: nil, year: nil, value: 1_000, lock: false, caller: .command("test"))
        let report = try await AllocationStore(database: owner).allocate(province: laoCai.id, phaseCode: "2026-2030", indicatorCode: "DA8-03", caller: .command("test"))
        #expect(report.indicators == ["DA8-03"])
        let (communes, sum, smallest, largest, onEnded) = try await owner.withTenant(laoCai.id) { tx in
            let row = try await tx.query(
                """
                SELECT count(*), sum(t.value)::bigint, min(t.value), max(t.value),
                       count(*) FILTER (WHERE u.valid_to IS NOT NULL)
                FROM chitieu.target t JOIN chitieu.admin_unit u USING (province_id, unit_id)
                JOIN chitieu.phase ph ON ph.province_id = t.province_id AND ph.phase_id = t.phase_id AND ph.code = '2026-2030'
                JOIN chitieu.indicator i ON i.province_id = t.province_id AND i.indicator_id = t.indicator_id AND i.code = 'DA8-03'
                WHERE t.province_id = \(laoCai.id) AND t.year IS NULL AND u.level = 'commune'
                """)[0]
            return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2), try row.decode(Int.self, at: 3),
                    try row.decode(Int.self, at: 4))
        }
        let newCommunes = try await count(owner, laoCai, "SELECT count(*) FROM chitieu.admin_unit WHERE province_id = $1 AND level = 'commune' AND valid_to IS NULL")
        #expect(communes == newCommunes && onEnded == 0, "every new commune, no ended unit")
        #expect(sum == 1_000)
        #expect(smallest == 1_000 / newCommunes && largest <= smallest + 1, "each the floor or the ceiling of an equal share")

        // Phase I targets of the units that ended are history; the province's own unit is today's.
        await expectError(.conflicts) {
            _ = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "10", year: nil, value: 5, lock: false, caller: .command("test"))
        }
        let own = try await targets.set(province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "15", year: nil, value: 9, lock: false, caller: .command("test"))
        #expect(own.unitID != world.unitsB.province, "code 15 names today's province, not Yên Bái")
        await expectError(.conflicts, "old Lào Cai ended: its allocation is history") {
            _ = try await AllocationStore(database: owner).allocate(province: world.a.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        }
        await expectError(.conflicts) {
            try await AllocationStore(database: owner).setRule(
                province: laoCai.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: "10", rule: AllocationRule(), caller: .command("test"))
        }
    }

    @Test func theReformCommandsEndToEnd() async throws {
        let (world, owner) = try await world()
        await owner.pool.shutdown()
        let env = [
            "CHITIEU_ADMIN_DATABASE_URL": world.db.ownerConnectionString, "CHITIEU_DATABASE_URL": world.db.appConnectionString,
            "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path,
        ]
        let data = try TestDatabase.repositoryRoot().appendingPathComponent("Deploy/data/vn-admin-units").path
        // Step by step, as docs/reform.md shows it.
        let imported = try await ChitieuCommand.run(
            ["units", "import", "--file", data + "/units-2025.csv", "--province", "15", "--valid-from", "2025-07-01"], environment: env)
        #expect(imported.status == 0, "\(imported.error)")
        let merged = try await ChitieuCommand.run(["tenant", "merge", "--into", "15", "--from", "10", "--from", "15", "--on", "2025-07-01"], environment: env)
        #expect(merged.status == 0, "\(merged.error)")
        #expect(merged.output.contains("10 Tỉnh Lào Cai") && merged.output.contains("15 Tỉnh Yên Bái"))
        let twice = try await ChitieuCommand.run(["tenant", "merge", "--into", "15", "--from", "10", "--on", "2025-07-01"], environment: env)
        #expect(twice.status == 1 && twice.error.contains("merged into"), "\(twice.error)")
        let links = try await ChitieuCommand.run(
            ["units", "succession", "import", "--file", data + "/succession-2025.csv", "--on", "2025-07-01", "--province", "15"], environment: env)
        #expect(links.status == 0, "\(links.error)")
        #expect(links.output.contains("province 15:"))
        let badWeight = try await ChitieuCommand.run(["units", "succession", "weights", "--province", "15", "--unit", "02959", "--weight", "02968=x"], environment: env)
        #expect(badWeight.status == 1 && badWeight.error.contains("--weight"))

        // Grants: the proposals as CSV, confirmed from the file.
        let proposals = try await ChitieuCommand.run(["grant", "successors", "--province", "15", "--csv"], environment: env)
        #expect(proposals.status == 0, "\(proposals.error)")
        #expect(proposals.output.hasPrefix("grant_id,username,role,old_unit_code,old_unit_name,unit_code,unit_name,kind\n"))
        #expect(proposals.output.contains(",xa10,commune,"))
        let file = NSTemporaryDirectory() + "/chitieu-proposals-\(UUID().uuidString).csv"
        defer { unlink(file) }
        try proposals.output.write(toFile: file, atomically: true, encoding: .utf8)
        let confirmed = try await ChitieuCommand.run(["grant", "confirm", "--province", "15", "--file", file], environment: env)
        #expect(confirmed.status == 0, "\(confirmed.error)")
        #expect(confirmed.output.contains("grants made"))
        let left = try await ChitieuCommand.run(["grant", "successors", "--province", "15", "--json"], environment: env)
        #expect((try JSONSerialization.jsonObject(with: Data(left.output.utf8)) as? [Any])?.isEmpty == true, "\(left.output)")

        // Phase I both ways: the province's own line carries the predecessors' totals in both.
        #expect(try await ChitieuCommand.run(["progress", "compute", "--province", "15"], environment: env).status == 0)
        let reported = try await ChitieuCommand.run(["progress", "show", "--province", "15", "--phase", "2021-2025", "--indicator", "DA8-03", "--json"], environment: env)
        let today = try await ChitieuCommand.run(
            ["progress", "show", "--province", "15", "--phase", "2021-2025", "--indicator", "DA8-03", "--as-of-units", "2025-07-01", "--depth", "1", "--json"],
            environment: env)
        #expect(reported.status == 0 && today.status == 0, "\(reported.error) \(today.error)")
        func rows(_ text: String) throws -> [[String: Any]] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? [] }
        let asReported = try rows(reported.output)
        let onUnits = try rows(today.output)
        // The new Lào Cai and its 99 communes.
        #expect(asReported.count == 1 && onUnits.count == 100, "\(today.output.prefix(600))")
        #expect(onUnits.first?["unit_name"] as? String == "Tỉnh Lào Cai")
        #expect((asReported.first?["achieved"] as? NSNumber) == (onUnits.first?["achieved"] as? NSNumber))
        #expect(onUnits.dropFirst().allSatisfy { $0["unit_level"] as? String == "commune" }, "today's units have no districts")
        let sum = onUnits.dropFirst().map { ($0["achieved"] as? NSNumber)?.intValue ?? 0 }.reduce(0, +)
        #expect(sum == (onUnits.first?["achieved"] as? NSNumber)?.intValue, "the communes add up to the province")
        let reform = try await ChitieuCommand.run(["units", "reform", "--help"], environment: env)
        #expect(reform.output.contains("--succession"))
    }
}

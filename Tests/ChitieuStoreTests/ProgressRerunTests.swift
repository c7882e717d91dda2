import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Postgres
import Testing

/// The full recomputation run again: with nothing changed it writes nothing; whatever the figures
/// depend on that changed, it computes again.
@Suite("Progress rerun with nothing changed")
struct ProgressRerunTests {
    func day(_ text: String) -> PostgresDate { PostgresDate(text)! }

    /// Lào Cai with DA8-01 (stock, communes): a phase target of 424 at the province, allocated,
    /// and a commune's level of 5 in 2023, approved; the phase computed once.
    func world() async throws -> (AccessWorld, phase: Int64) {
        let world = try await AccessWorld.make()
        let p = world.a.id
        _ = try await TargetStore(database: world.app).set(
            province: p, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        _ = try await AllocationStore(database: world.app).allocate(province: p, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        try await report(world, value: 5, periodEnd: "2023-12-31")
        let phase = try await ProgressStore(database: world.app).phaseIDs(province: p, code: "2021-2025")[0]
        #expect(try await ProgressStore(database: world.app).compute(province: p, phaseID: phase, today: day("2024-06-30")) > 0)
        return (world, phase)
    }

    /// A commune's level, submitted and approved.
    func report(_ world: AccessWorld, value: Int, periodEnd: String) async throws {
        let open = try await world.db.superuserConnection()
        try await open.query(
            "INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) SELECT \(world.a.id), y, '2099-01-25' FROM generate_series(2021, 2025) y ON CONFLICT DO NOTHING")
        await open.close()
        let results = ResultStore(database: world.app)
        let end = day(periodEnd)
        let (created, _) = try await results.create(
            province: world.a.id,
            ResultInput(indicatorID: world.indicators[0], unit: .id(world.unitsA.commune), periodStart: PostgresDate(year: end.year, month: 10, day: 1),
                        periodEnd: end, figures: ResultFigures(value: value)),
            submit: true, idempotencyKey: nil, caller: try await world.caller("xa10", in: world.a))
        _ = try await results.approve(province: world.a.id, id: created.id, caller: try await world.caller("huyen10", in: world.a))
    }

    /// A full computation in a transaction of its own: figures changed, and the rows of chitieu's
    /// tables it inserted, updated or deleted (its bookkeeping included).
    func compute(_ world: AccessWorld, _ phase: Int64, today: String = "2024-06-30") async throws -> (changed: Int, written: Int) {
        try await world.app.withTenant(world.a.id) { tx in
            // The view also holds what the connection's earlier transactions did until its
            // statistics are flushed: the difference is this computation's.
            let writes: PostgresQuery =
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_xact_user_tables WHERE schemaname = 'chitieu'"
            let before = try await tx.query(writes)[0].decode(Int.self, at: 0)
            let changed = try await tx.query(
                "SELECT chitieu.compute_progress(\(world.a.id), \(phase), NULL, \(day(today))::date)")[0].decode(Int.self, at: 0)
            return (changed, try await tx.query(writes)[0].decode(Int.self, at: 0) - before)
        }
    }

    func achieved(_ world: AccessWorld, _ phase: Int64, unit: Int64, year: Int?) async throws -> Int? {
        try await world.app.withTenant(world.a.id) { tx in
            try await tx.query(
                """
                SELECT achieved FROM chitieu.progress WHERE province_id = \(world.a.id) AND phase_id = \(phase)
                  AND indicator_id = \(world.indicators[0]) AND unit_id = \(unit) AND year IS NOT DISTINCT FROM \(year.map { Int16($0) })
                """).first?.decode(Int.self, at: 0)
        }
    }

    @Test func aRerunWithNothingChangedWritesNothing() async throws {
        let (world, phase) = try await world()
        let run = try await compute(world, phase)
        #expect(run.changed == 0 && run.written == 0)
        // Through the store (as the nightly job runs it): nothing changed, progress_run kept as it was.
        let before = try await runRow(world, phase)
        #expect(try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30")) == 0)
        #expect(try await runRow(world, phase) == before)
        await world.shutdown()
    }

    /// Each call plans its statements for its own province and phase: generic plans, which a
    /// connection computing province after province would switch to, ran it a quarter slower.
    @Test func theComputationIsPlannedForEachCall() async throws {
        let db = try await TestDatabase.make()
        let su = try await db.superuserConnection()
        let settings = try await su.query(
            "SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE oid = 'chitieu.compute_progress(bigint, bigint, bigint, date)'::regprocedure"
        )[0].decode(String?.self, at: 0)
        #expect(settings == "plan_cache_mode=force_custom_plan")
        await su.close()
    }

    @Test func aChangeOfAnyInputIsPickedUp() async throws {
        let (world, phase) = try await world()
        let u = world.unitsA
        #expect(try await achieved(world, phase, unit: u.province, year: 2023) == 5)
        // A result approved: the figure moves, then a rerun writes nothing again.
        try await report(world, value: 7, periodEnd: "2024-12-31")
        #expect(try await compute(world, phase).changed > 0)
        #expect(try await achieved(world, phase, unit: u.province, year: 2024) == 7)
        #expect(try await compute(world, phase).written == 0)
        // A target changed by hand.
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 500, lock: false, caller: .command("test"))
        #expect(try await compute(world, phase).changed > 0)
        // A unit renamed: its copy in the figures follows.
        let su = try await world.db.superuserConnection()
        try await su.query("UPDATE chitieu.admin_unit SET name = 'Xã Đổi Tên' WHERE province_id = \(world.a.id) AND unit_id = \(u.commune)")
        #expect(try await compute(world, phase).changed > 0)
        // Figures deleted by hand come back.
        try await su.query("DELETE FROM chitieu.progress WHERE province_id = \(world.a.id) AND phase_id = \(phase) AND unit_id = \(u.province)")
        #expect(try await achieved(world, phase, unit: u.province, year: 2023) == nil)
        #expect(try await compute(world, phase).changed > 0)
        #expect(try await achieved(world, phase, unit: u.province, year: 2023) == 5)
        await su.close()
        // Another day moves the elapsed share, so statuses are computed again (and may change).
        #expect(try await compute(world, phase, today: "2024-07-01").written > 0)
        #expect(try await compute(world, phase, today: "2024-07-01").written == 0)
        // An approval computed for its indicator alone (its job): the next full run computes again,
        // finds the figures written, and records only that it ran.
        try await report(world, value: 9, periodEnd: "2025-12-31")
        #expect(try await ProgressStore(database: world.app).compute(
            province: world.a.id, phaseID: phase, indicatorID: world.indicators[0], today: day("2024-07-01")) > 0)
        let after = try await compute(world, phase, today: "2024-07-01")
        #expect(after.changed == 0 && after.written == 1)
        #expect(try await compute(world, phase, today: "2024-07-01").written == 0)
        await world.shutdown()
    }

    /// progress_run's row as text, its row version included.
    func runRow(_ world: AccessWorld, _ phase: Int64) async throws -> String {
        try await world.app.withTenant(world.a.id) { tx in
            try await tx.query(
                "SELECT xmin::text || ' ' || r::text FROM chitieu.progress_run r WHERE province_id = \(world.a.id) AND phase_id = \(phase)"
            )[0].decode(String.self, at: 0)
        }
    }
}

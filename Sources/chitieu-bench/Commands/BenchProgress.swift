import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuJobs
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench progress`: completion at national scale.
    struct ProgressBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "progress",
            abstract: "Completion at national scale: generate about two million approved results, recompute everything, compare with one hand-written statement, time approvals and dashboards.",
            discussion: """
                Meant for the scratch database `bench allocate` filled (./Deploy/dev bench runs both). It generates approved
                results for every province (--per-year of them per unit and year, 6 by default), then prints:
                  - the full recomputation of 2021-2025 for all 63 provinces from an empty progress table, again over the
                    reference's figures, and then with nothing changed, --parallel provinces at a time as the nightly job
                    does: its time, and the rows it reads and writes beside those of a run that skips the versions check;
                  - alternated with it (the table emptied, vacuumed and analysed before each), the fair reference: for
                    each province, --parallel at a time, in its own transaction under the same role and row-level
                    security, one hand-written INSERT … SELECT writing the same figures into chitieu.progress;
                  - the latency from an approval's commit to its figure in reporting.progress_phase, the job run at once
                    (medians of --approvals approvals in different provinces; a worker's pick-up adds `bench jobs`' idle latency);
                  - a province's dashboard query through reporting.progress_yearly and the same figures read directly from
                    the indexed table, medians over every province.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Results per unit and year (1, 2, 3, 4, 6 or 12).") var perYear = 6
        @Option(help: "Approvals to time.") var approvals = 40
        @Option(help: "Rounds over every province for the dashboard queries.") var rounds = 5
        @Option(help: "Provinces computed at once in the full recomputation (the nightly job uses 2).") var parallel = 2

        static func time(_ body: () async throws -> Void) async rethrows -> Double { try await Figures.time(body) }

        func perform() async throws {
            try await withAdminDatabase(database, connections: max(3, parallel + 1)) { owner in
                let provinces = try await TenantStore(database: owner).list().filter { $0.validTo == nil || $0.validFrom.year == 2021 }
                guard provinces.count > 1 else {
                    throw ChitieuError(.invalid, field: "database", reason: "it holds no national data; run `chitieu-bench allocate` on it first")
                }
                // Deadlines open so the approvals below are taken.
                for p in provinces {
                    try await owner.withTenant(p.id) { tx in
                        try await tx.query(
                            """
                            INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on)
                            SELECT \(p.id), y, '2099-01-25' FROM generate_series(2021, 2025) y ON CONFLICT DO NOTHING
                            """)
                    }
                }
                let generator = ResultGenerator(database: owner)
                var written = 0
                let generation = try await Figures.time {
                    for p in provinces {
                        written += try await generator.generate(
                            province: p.id, phaseCode: "2021-2025",
                            profile: ResultGenerator.Profile(completion: ["DA8-01": 1, "DA8-02": 1], defaultCompletion: 0.8, companion: ["DA8-01": 9], perYear: perYear),
                            computeProgress: false, actor: .command("bench progress"))
                    }
                }
                try await owner.pool.withConnection { c in try await c.executeScript("VACUUM ANALYZE chitieu.result, chitieu.target, chitieu.admin_unit") }
                print("chitieu-bench progress — \(provinces.count) provinces, 2021-2025")
                print(String(format: "approved results generated                 %9d   (%.1f s)", written, generation))

                // Full recomputation from an empty table, alternated with its fair reference, then with nothing changed.
                let phases = try await phaseIDs(owner, provinces)
                let work = provinces.map { (province: $0.id, phase: phases[$0.id]!) }
                let recomputation = try await recompute(owner, work)
                print(String(format: "full recomputation, from empty              %8.2f s   (%d figures written, %d provinces at a time; median of %d, %.2f–%.2f)",
                             Figures.median(recomputation.product), recomputation.rows, parallel, recomputation.product.count,
                             recomputation.product.min() ?? 0, recomputation.product.max() ?? 0))
                print(String(format: "fair reference: one INSERT … SELECT a province %5.2f s   (the same %d rows into chitieu.progress, same role, row-level security and keys,",
                             Figures.median(recomputation.reference), recomputation.referenceRows))
                print(String(format: "                                                        %d provinces at a time, warm, alternated; %.2f–%.2f)",
                             parallel, recomputation.reference.min() ?? 0, recomputation.reference.max() ?? 0))
                print(String(format: "ratio full / fair reference                 %8.2f ×", Figures.median(recomputation.product) / max(Figures.median(recomputation.reference), 1e-9)))
                print(String(format: "full recomputation over the reference's figures %4.2f s   (%d figures differed from the reference's)", recomputation.over, recomputation.differing))
                try await rerun(owner, work)

                try await approvalLatency(owner, provinces, phases)
                try await dashboards(owner, provinces, phases)
            }
        }

        func phaseIDs(_ owner: ChitieuDatabase, _ provinces: [Province]) async throws -> [Int64: Int64] {
            var out: [Int64: Int64] = [:]
            for p in provinces {
                out[p.id] = try await owner.withTenant(p.id) { tx in
                    try await tx.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(p.id) AND code = '2021-2025'")[0].decode(Int64.self, at: 0)
                }
            }
            return out
        }

        /// The seconds of each full recomputation and of each run of its fair reference, the rows
        /// each wrote, and the recomputation over the last reference run's figures (which it
        /// compares with its own: 0 differ when the reference wrote the same rows).
        struct Recomputation {
            var product: [Double] = [], reference: [Double] = []
            var rows = 0, referenceRows = 0, differing = 0
            var over = 0.0
        }

        /// Three rounds of: every figure deleted and the table vacuumed, the full recomputation;
        /// again, the fair reference. Then the recomputation once more, with nothing changed.
        func recompute(_ owner: ChitieuDatabase, _ work: [(province: Int64, phase: Int64)]) async throws -> Recomputation {
            var figures = Recomputation()
            let store = ProgressStore(database: owner)
            for _ in 0..<3 {
                try await clearProgress(owner, work)
                figures.product.append(try await Figures.time { figures.rows = try await store.compute(work, parallel: parallel) })
                try await clearProgress(owner, work)
                figures.reference.append(try await Figures.time { figures.referenceRows = try await referenceRun(owner, work) })
            }
            figures.over = try await Figures.time { figures.differing = try await store.compute(work, parallel: parallel) }
            return figures
        }

        /// The full recomputation again with nothing changed (three runs, the median), then the rows
        /// one such run reads and writes, counted per province in its transaction, beside those of
        /// a run that finds no recorded versions (as every rerun did before they were recorded: it
        /// computes everything and writes only what changed; rolled back).
        func rerun(_ owner: ChitieuDatabase, _ work: [(province: Int64, phase: Int64)]) async throws {
            let store = ProgressStore(database: owner)
            var seconds: [Double] = [], changed = 0
            for _ in 0..<3 { seconds.append(try await Figures.time { changed += try await store.compute(work, parallel: parallel) }) }
            var forced: [(read: Int, written: Int)] = []
            let unforced = try await inParallel(owner, work) { tx, item in try await Self.rowsTouched(tx, item, forced: false) }
            let forcedSeconds = try await Figures.time {
                forced = try await inParallel(owner, work) { tx, item in try await Self.rowsTouched(tx, item, forced: true) }
            }
            print(String(format: "full recomputation, nothing changed         %8.2f s   (median of %d, %.2f–%.2f; %d figures written)",
                         Figures.median(seconds), seconds.count, seconds.min() ?? 0, seconds.max() ?? 0, changed))
            print(String(format: "  rows read / written                   %9d / %d   (row versions of the inputs and figures)",
                         unforced.map(\.read).reduce(0, +), unforced.map(\.written).reduce(0, +)))
            print(String(format: "  without the versions check            %9d / %d   (%.2f s: every input read, figures compared)",
                         forced.map(\.read).reduce(0, +), forced.map(\.written).reduce(0, +), forcedSeconds))
        }

        /// Rows of chitieu's tables one full computation reads (heap rows from sequential and index
        /// scans) and writes, rolled back; `forced`: the recorded versions cleared first.
        static func rowsTouched(_ tx: TenantTransaction, _ item: (province: Int64, phase: Int64), forced: Bool) async throws -> (read: Int, written: Int) {
            try await tx.query("SAVEPOINT measured")
            if forced {
                try await tx.query("UPDATE chitieu.progress_run SET inputs = NULL WHERE province_id = \(item.province) AND phase_id = \(item.phase)")
            }
            let before = try await tx.query(Self.touched)[0]
            _ = try await tx.query("SELECT chitieu.compute_progress(\(item.province), \(item.phase), NULL, current_date)")
            let after = try await tx.query(Self.touched)[0]
            try await tx.query("ROLLBACK TO SAVEPOINT measured")
            return (try after.decode(Int.self, at: 0) - before.decode(Int.self, at: 0), try after.decode(Int.self, at: 1) - before.decode(Int.self, at: 1))
        }

        static let touched: PostgresQuery = """
            SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::bigint, coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint
            FROM pg_stat_xact_user_tables WHERE schemaname = 'chitieu'
            """

        /// Deletes every figure of the phases, then vacuums and analyses the table.
        func clearProgress(_ owner: ChitieuDatabase, _ work: [(province: Int64, phase: Int64)]) async throws {
            for item in work {
                try await owner.withTenant(item.province) { tx in
                    try await tx.query("DELETE FROM chitieu.progress WHERE province_id = \(item.province) AND phase_id = \(item.phase)")
                }
            }
            try await owner.pool.withConnection { c in try await c.executeScript("VACUUM ANALYZE chitieu.progress") }
        }

        /// The fair reference: for each province, --parallel at a time, in its own transaction
        /// (the same role and row-level security as the recomputation), one hand-written
        /// INSERT … SELECT writing the same figures into chitieu.progress: flow sums and stock
        /// latest levels (approved, and with submitted ones), rolled up a closure of the unit
        /// tree, joined to targets, with rate, status and the dashboard's copies. It leaves out
        /// what the recomputation adds to that: comparing with the figures already there, and the
        /// reform's successions (this data set has none). The rows written.
        func referenceRun(_ owner: ChitieuDatabase, _ work: [(province: Int64, phase: Int64)]) async throws -> Int {
            try await inParallel(owner, work) { tx, item in
                try await tx.query(Self.reference(province: item.province, phase: item.phase)).affectedRows
            }.reduce(0, +)
        }

        /// `body` for each (province, phase), in the province's transaction, --parallel at a time.
        func inParallel<T: Sendable>(
            _ owner: ChitieuDatabase, _ work: [(province: Int64, phase: Int64)],
            _ body: @escaping @Sendable (TenantTransaction, (province: Int64, phase: Int64)) async throws -> T
        ) async throws -> [T] {
            try await withThrowingTaskGroup(of: T.self) { group in
                var next = 0
                var out: [T] = []
                func startNext() {
                    guard next < work.count else { return }
                    let item = work[next]
                    next += 1
                    group.addTask { try await owner.withTenant(item.province) { tx in try await body(tx, item) } }
                }
                for _ in 0..<parallel { startNext() }
                while let value = try await group.next() {
                    out.append(value)
                    startNext()
                }
                return out
            }
        }

        static func reference(province: Int64, phase: Int64) -> PostgresQuery {
            """
            WITH RECURSIVE
            ph AS MATERIALIZED (SELECT first_year, last_year, code FROM chitieu.phase WHERE province_id = \(province) AND phase_id = \(phase)),
            units AS MATERIALIZED (
                SELECT u.unit_id, u.parent_id, u.level, u.code, u.name FROM chitieu.admin_unit u, ph
                WHERE u.province_id = \(province) AND u.valid_from <= make_date(ph.last_year, 12, 31)
                  AND (u.valid_to IS NULL OR u.valid_to >= make_date(ph.first_year, 1, 1))
            ),
            closure AS (
                SELECT unit_id AS ancestor, unit_id AS descendant FROM units
              UNION ALL
                SELECT u.parent_id, c.descendant FROM closure c JOIN units u ON u.unit_id = c.ancestor WHERE u.parent_id IS NOT NULL
            ),
            ind AS MATERIALIZED (
                SELECT indicator_id, kind, status, code, name, measure_unit, companion_measure FROM chitieu.indicator WHERE province_id = \(province)
            ),
            yearly AS MATERIALIZED (
                SELECT r.indicator_id, r.unit_id, r.year, i.kind,
                       CASE WHEN i.kind = 'flow' THEN sum(r.value) FILTER (WHERE r.state = 'approved')
                            ELSE (array_agg(r.value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1] END AS achieved,
                       CASE WHEN i.kind = 'flow' THEN sum(r.value)
                            ELSE (array_agg(r.value ORDER BY r.period_end DESC, coalesce(r.decided_at, r.submitted_at) DESC NULLS LAST, r.result_id))[1] END AS with_submitted,
                       CASE WHEN i.kind = 'flow' THEN sum(r.companion_value) FILTER (WHERE r.state = 'approved')
                            ELSE (array_agg(r.companion_value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1] END AS companion
                FROM chitieu.result r JOIN ind i ON i.indicator_id = r.indicator_id, ph
                WHERE r.province_id = \(province) AND r.state IN ('approved', 'submitted') AND r.year BETWEEN ph.first_year AND ph.last_year
                GROUP BY r.indicator_id, r.unit_id, r.year, i.kind
            ),
            base AS (
                SELECT indicator_id, unit_id, year::int AS yk, achieved, with_submitted, companion FROM yearly
              UNION ALL
                SELECT indicator_id, unit_id, 0,
                       CASE WHEN kind = 'flow' THEN sum(achieved) ELSE (array_agg(achieved ORDER BY year DESC) FILTER (WHERE achieved IS NOT NULL))[1] END,
                       CASE WHEN kind = 'flow' THEN sum(with_submitted) ELSE (array_agg(with_submitted ORDER BY year DESC) FILTER (WHERE with_submitted IS NOT NULL))[1] END,
                       CASE WHEN kind = 'flow' THEN sum(companion) ELSE (array_agg(companion ORDER BY year DESC) FILTER (WHERE achieved IS NOT NULL))[1] END
                FROM yearly GROUP BY indicator_id, unit_id, kind
            ),
            rolled AS (
                SELECT b.indicator_id, c.ancestor AS unit_id, b.yk, coalesce(sum(b.achieved), 0) AS achieved,
                       coalesce(sum(b.with_submitted), 0) AS with_submitted, sum(b.companion) AS companion
                FROM base b JOIN closure c ON c.descendant = b.unit_id GROUP BY b.indicator_id, c.ancestor, b.yk
            ),
            targets AS MATERIALIZED (
                SELECT indicator_id, unit_id, coalesce(year, 0)::int AS yk, value FROM chitieu.target WHERE province_id = \(province) AND phase_id = \(phase)
            )
            INSERT INTO chitieu.progress (province_id, indicator_id, unit_id, phase_id, year, target, achieved, achieved_with_submitted, companion,
                                          rate, status, unit_level, unit_code, unit_name, parent_id, indicator_code, indicator_name, measure_unit,
                                          companion_measure, phase_code, rate_with_submitted)
            SELECT \(province), i.indicator_id, u.unit_id, \(phase), nullif(y.yk, 0)::smallint, t.value, coalesce(r.achieved, 0),
                   coalesce(r.with_submitted, 0), r.companion,
                   CASE WHEN t.value > 0 THEN round(coalesce(r.achieved, 0)::numeric / t.value, 6) END,
                   CASE WHEN i.status = 'suspended' THEN 'suspended'
                        WHEN t.value IS NULL OR t.value = 0 THEN 'no_target'
                        WHEN coalesce(r.achieved, 0) >= t.value THEN 'completed'
                        WHEN coalesce(r.achieved, 0) >= t.value * CASE WHEN y.yk = 0 THEN chitieu.elapsed_share(ph.first_year, ph.last_year, current_date)
                                                                       ELSE chitieu.elapsed_share(y.yk, y.yk, current_date) END THEN 'on_track'
                        ELSE 'behind' END,
                   u.level, u.code, u.name, u.parent_id, i.code, i.name, i.measure_unit, i.companion_measure, ph.code,
                   CASE WHEN t.value > 0 THEN round(coalesce(r.with_submitted, 0)::numeric / t.value, 6) END
            FROM ind i CROSS JOIN units u CROSS JOIN ph
            CROSS JOIN LATERAL (SELECT generate_series(ph.first_year::int, ph.last_year::int) AS yk UNION ALL SELECT 0) y
            LEFT JOIN targets t ON t.indicator_id = i.indicator_id AND t.unit_id = u.unit_id AND t.yk = y.yk
            LEFT JOIN rolled r ON r.indicator_id = i.indicator_id AND r.unit_id = u.unit_id AND r.yk = y.yk
            """
        }

        /// An approval committed, its progress job run at once, its figure read from the view.
        func approvalLatency(_ owner: ChitieuDatabase, _ provinces: [Province], _ phases: [Int64: Int64]) async throws {
            let results = ResultStore(database: owner)
            let queue = JobQueue(pool: owner.pool)
            // The daemon's own handler, as a worker would run it.
            let handler = StandardJobs.handlers(database: owner)["progress"]!
            var latencies: [Double] = []
            var incremental: [Double] = []
            for i in 0..<approvals {
                let p = provinces[i % provinces.count]
                let (indicator, unit) = try await owner.withTenant(p.id) { tx in
                    let row = try await tx.query(
                        """
                        SELECT i.indicator_id, u.code FROM chitieu.indicator i
                        JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.level = 'commune' AND u.valid_to IS NULL
                        WHERE i.province_id = \(p.id) AND i.code = 'DA8-06' ORDER BY u.code LIMIT 1 OFFSET \(i / provinces.count)
                        """)[0]
                    return (try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1))
                }
                let (record, _) = try await results.create(
                    province: p.id,
                    ResultInput(indicatorID: indicator, unit: .code(unit), periodStart: PostgresDate(year: 2025, month: 12, day: 1),
                                periodEnd: PostgresDate(year: 2025, month: 12, day: 31), figures: ResultFigures(value: 1)),
                    submit: true, idempotencyKey: nil, caller: .command("bench progress"))
                // Drain the job the submission queued, so the approval's job is the one measured.
                try await runPending(queue, handler, province: p.id)
                let before = try await phaseFigure(owner, p.id, indicator)
                let start = ContinuousClock.now
                _ = try await results.approve(province: p.id, id: record.id, caller: .command("bench progress"))
                let job = ContinuousClock.now
                try await runPending(queue, handler, province: p.id)
                let after = try await phaseFigure(owner, p.id, indicator)
                guard after == before + 1 else { throw ChitieuError(.invalid, field: "bench", reason: "the approval did not reach the view (\(before) → \(after))") }
                latencies.append((ContinuousClock.now - start).seconds)
                incremental.append((ContinuousClock.now - job).seconds)
                _ = phases
            }
            print(String(format: "approval commit → figure in the view         median %6.1f ms   p99 %6.1f ms   (%d approvals)",
                         Figures.median(latencies) * 1000, Figures.percentile(latencies, 0.99) * 1000, latencies.count))
            print(String(format: "  of which the progress job (one province, one indicator)  median %6.1f ms", Figures.median(incremental) * 1000))
        }

        func runPending(_ queue: JobQueue, _ handler: JobHandler, province: Int64) async throws {
            for job in try await queue.list(state: .pending, kind: "progress", limit: 10) where job.provinceID == province {
                guard let claimed = try await queue.claim(id: job.id, worker: "bench", lease: .seconds(60)) else { continue }
                try await handler(claimed)
                _ = try await queue.complete(claimed.id, worker: "bench")
            }
        }

        func phaseFigure(_ owner: ChitieuDatabase, _ province: Int64, _ indicator: Int64) async throws -> Int {
            try await owner.withTenant(province) { tx in
                try await tx.query(
                    """
                    SELECT achieved FROM reporting.progress_phase
                    WHERE province_id = \(province) AND indicator_id = \(indicator) AND unit_level = 'province'
                    """)[0].decode(Int.self, at: 0)
            }
        }

        /// A province's dashboard: the view against the indexed table, and the view with and without row-level security.
        func dashboards(_ owner: ChitieuDatabase, _ provinces: [Province], _ phases: [Int64: Int64]) async throws {
            let samples: [[Double]] = try await owner.pool.withConnection { c in
                var samples: [[Double]] = [[], [], []]
                for round in 0...rounds {
                    for mode in 0..<3 {
                        try await c.query("BEGIN")
                        if mode == 2 {
                            for table in ["progress", "indicator", "phase", "admin_unit"] {
                                try await c.query(PostgresQuery(unsafeSQL: "ALTER TABLE chitieu.\(table) NO FORCE ROW LEVEL SECURITY"))
                            }
                        }
                        for p in provinces {
                            try await c.query("SELECT chitieu.use_province(\(p.id))", prepared: true)
                            let seconds = try await Figures.time {
                                if mode == 1 {
                                    try await c.query(
                                        """
                                        SELECT * FROM chitieu.progress WHERE province_id = \(p.id) AND phase_id = \(phases[p.id]!) AND year = \(Int16(2024))
                                        """, prepared: true)
                                } else {
                                    try await c.query("SELECT * FROM reporting.progress_yearly WHERE province_id = \(p.id) AND year = \(Int16(2024))", prepared: true)
                                }
                            }
                            if round > 0 { samples[mode].append(seconds) }
                        }
                        try await c.query(mode == 2 ? "ROLLBACK" : "COMMIT")
                    }
                }
                return samples
            }
            let v = Figures.median(samples[0]), d = Figures.median(samples[1]), u = Figures.median(samples[2])
            print(String(format: "dashboard: reporting.progress_yearly, one province, one year   median %6.2f ms", v * 1000))
            print(String(format: "  every column of the indexed table, same rows                 median %6.2f ms   (view / table %.2f ×)", d * 1000, v / d))
            print(String(format: "  the view without row-level security                          median %6.2f ms   (overhead %+.1f%%)", u * 1000, (v / u - 1) * 100))
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuJobs
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench progress`: completion at national scale.
    struct ProgressBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "progress",
            abstract: "Completion at national scale: generate about two million approved results, recompute everything, compare with one hand-written statement, time approvals and dashboards.",
            discussion: """
                Meant for the scratch database `bench allocate` filled (./Deploy/dev bench runs both). It generates approved
                results for every province (--per-year of them per unit and year, 6 by default), then prints:
                  - the full recomputation of 2021-2025 for all 63 provinces from an empty progress table, and again with
                    nothing changed, --parallel provinces at a time as the nightly job does;
                  - the reference: one hand-written INSERT … SELECT computing every unit × indicator × year (and phase)
                    of every province into a keyed (logged) table, inside a transaction that lifts row-level security and is rolled back;
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

        static func median(_ values: [Double]) -> Double { Auth.median(values) }
        static func percentile(_ values: [Double], _ p: Double) -> Double { Auth.percentile(values, p) }
        static func time(_ body: () async throws -> Void) async rethrows -> Double { try await Auth.time(body) }

        func run() async throws {
            try await runReportingErrors {
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
                    let generation = try await Self.time {
                        for p in provinces {
                            written += try await generator.generate(
                                province: p.id, phaseCode: "2021-2025",
                                profile: ResultGenerator.Profile(completion: ["DA8-01": 1, "DA8-02": 1], defaultCompletion: 0.8, companion: ["DA8-01": 9], perYear: perYear),
                                computeProgress: false, actor: .command("bench progress"))
                        }
                    }
                    try await owner.pool.withConnection { c in try await c.executeScript("ANALYZE chitieu.result; ANALYZE chitieu.target; ANALYZE chitieu.admin_unit") }
                    print("chitieu-bench progress — \(provinces.count) provinces, 2021-2025")
                    print(String(format: "approved results generated                 %9d   (%.1f s)", written, generation))

                    // Full recomputation from an empty table, then with nothing changed.
                    let phases = try await phaseIDs(owner, provinces)
                    for p in provinces { try await owner.withTenant(p.id) { tx in try await tx.query("DELETE FROM chitieu.progress WHERE province_id = \(p.id)") } }
                    try await owner.pool.withConnection { c in try await c.executeScript("VACUUM ANALYZE chitieu.progress") }
                    var figures = 0
                    let store = ProgressStore(database: owner)
                    let work = provinces.map { (province: $0.id, phase: phases[$0.id]!) }
                    let full = try await Self.time { figures = try await store.compute(work, parallel: parallel) }
                    let rerun = try await Self.time { _ = try await store.compute(work, parallel: parallel) }
                    // The reference is cheap to repeat (rolled back): the median of three runs.
                    var references: [(seconds: Double, rows: Int)] = []
                    for _ in 0..<3 { references.append(try await referenceStatement(owner)) }
                    let reference = references.sorted { $0.seconds < $1.seconds }[1]
                    print(String(format: "full recomputation, from empty              %8.2f s   (%d figures written, %d provinces at a time)", full, figures, parallel))
                    print(String(format: "full recomputation, nothing changed         %8.2f s", rerun))
                    print(String(format: "hand-written INSERT … SELECT (reference)    %8.2f s   (%d rows; median of 3)", reference.seconds, reference.rows))
                    print(String(format: "ratio full / reference                      %8.2f ×", full / reference.seconds))

                    try await approvalLatency(owner, provinces, phases)
                    try await dashboards(owner, provinces, phases)
                }
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

        /// One statement over every province: flow sums and stock latest levels, rolled up over a
        /// closure of the unit tree, joined to targets, into a keyed table. Row-level security is
        /// lifted for it in a transaction that is rolled back.
        func referenceStatement(_ owner: ChitieuDatabase) async throws -> (seconds: Double, rows: Int) {
            try await owner.pool.withConnection { c in
                try await c.query("BEGIN")
                for table in ["result", "admin_unit", "indicator", "target", "phase"] {
                    try await c.query(PostgresQuery(unsafeSQL: "ALTER TABLE chitieu.\(table) NO FORCE ROW LEVEL SECURITY"))
                }
                try await c.query(
                    """
                    CREATE TABLE chitieu.reference_progress (province_id bigint, indicator_id bigint, unit_id bigint, year smallint,
                        target bigint, achieved bigint, rate numeric, PRIMARY KEY (province_id, indicator_id, unit_id, year))
                    """)
                var rows = 0
                let seconds = try await Self.time {
                    rows = try await c.query(
                        """
                        WITH RECURSIVE closure AS (
                            SELECT province_id, unit_id AS ancestor, unit_id AS descendant FROM chitieu.admin_unit WHERE valid_to IS NULL OR valid_to >= '2021-01-01'
                          UNION ALL
                            SELECT c.province_id, u.parent_id, c.descendant FROM closure c
                            JOIN chitieu.admin_unit u ON u.province_id = c.province_id AND u.unit_id = c.ancestor WHERE u.parent_id IS NOT NULL
                        ),
                        levels AS (
                            SELECT r.province_id, r.indicator_id, r.unit_id, r.year,
                                   CASE WHEN i.kind = 'flow' THEN sum(r.value)
                                        ELSE (array_agg(r.value ORDER BY r.period_end DESC, r.decided_at DESC))[1] END AS achieved
                            FROM chitieu.result r JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
                            WHERE r.state = 'approved' AND r.year BETWEEN 2021 AND 2025
                            GROUP BY r.province_id, r.indicator_id, r.unit_id, r.year, i.kind
                          UNION ALL
                            SELECT r.province_id, r.indicator_id, r.unit_id, 0,
                                   CASE WHEN i.kind = 'flow' THEN sum(r.value)
                                        ELSE (array_agg(r.value ORDER BY r.period_end DESC, r.decided_at DESC))[1] END
                            FROM chitieu.result r JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
                            WHERE r.state = 'approved' AND r.year BETWEEN 2021 AND 2025
                            GROUP BY r.province_id, r.indicator_id, r.unit_id, i.kind
                        ),
                        rolled AS (
                            SELECT l.province_id, l.indicator_id, c.ancestor AS unit_id, l.year, sum(l.achieved) AS achieved
                            FROM levels l JOIN closure c ON c.province_id = l.province_id AND c.descendant = l.unit_id
                            GROUP BY l.province_id, l.indicator_id, c.ancestor, l.year
                        )
                        INSERT INTO chitieu.reference_progress
                        SELECT t.province_id, t.indicator_id, t.unit_id, coalesce(t.year, 0), t.value, coalesce(r.achieved, 0),
                               CASE WHEN t.value > 0 THEN round(coalesce(r.achieved, 0)::numeric / t.value, 6) END
                        FROM chitieu.target t
                        JOIN chitieu.phase ph ON ph.province_id = t.province_id AND ph.phase_id = t.phase_id AND ph.code = '2021-2025'
                        LEFT JOIN rolled r ON r.province_id = t.province_id AND r.indicator_id = t.indicator_id AND r.unit_id = t.unit_id
                             AND r.year = coalesce(t.year, 0)
                        """).affectedRows
                }
                try await c.query("ROLLBACK")
                return (seconds, rows)
            }
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
                         Self.median(latencies) * 1000, Self.percentile(latencies, 0.99) * 1000, latencies.count))
            print(String(format: "  of which the progress job (one province, one indicator)  median %6.1f ms", Self.median(incremental) * 1000))
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
                            let seconds = try await Self.time {
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
            let v = Self.median(samples[0]), d = Self.median(samples[1]), u = Self.median(samples[2])
            print(String(format: "dashboard: reporting.progress_yearly, one province, one year   median %6.2f ms", v * 1000))
            print(String(format: "  every column of the indexed table, same rows                 median %6.2f ms   (view / table %.2f ×)", d * 1000, v / d))
            print(String(format: "  the view without row-level security                          median %6.2f ms   (overhead %+.1f%%)", u * 1000, (v / u - 1) * 100))
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench reform`: the July 2025 reform at national scale (issue #8).
    struct ReformBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "reform",
            abstract: "The July 2025 reform at national scale: apply it, recompute the new provinces, time the views on today's units, check the totals.",
            discussion: """
                Meant for the scratch database `bench progress` left (./Deploy/dev bench runs them in turn): 63 provinces
                with phase 2021-2025 targets and about two million approved results. It changes that database for good
                (the reform is applied once). It prints:
                  - the reform applied with units-2025.csv and succession-2025.csv on 2025-07-01: the whole, and each step
                    (new units, merges, succession links), with the rows the merges carried;
                  - completion of 2021-2025 for every new province, as reported and on today's units, --parallel provinces
                    at a time as the nightly job does, and the part on today's units alone;
                  - a province's reading of reporting.progress_phase_on_units and of reporting.progress_yearly_on_units
                    (one year) through the daemon's tenant path, beside the same reading of reporting.progress_phase and
                    reporting.progress_yearly, medians over the new provinces and --rounds rounds;
                  - the merges' fair floor: --floor-merges of the merges redone, in a transaction rolled
                    back, into a scratch province by one hand-written INSERT … SELECT per table (the
                    predecessor's rows read under its own scope into staging tables, written under the
                    scratch province's: the same tables, keys, role and row-level security, one merge
                    at a time), scaled by rows to what the merges carried, and the ratio;
                  - the totals check: each new province's own phase figure of every flow indicator on today's units, and
                    its number of results, against its predecessors' together. It exits with 1 on a mismatch.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The new units (default: Deploy/data/vn-admin-units/units-2025.csv of the checkout).") var unitsFile: String?
        @Option(help: "The succession links (default: Deploy/data/vn-admin-units/succession-2025.csv of the checkout).") var successionFile: String?
        @Option(help: "First day of the new units (YYYY-MM-DD).") var on = "2025-07-01"
        @Option(help: "The phase recomputed and checked.") var phase = "2021-2025"
        @Option(help: "Year of the yearly views.") var year = 2024
        @Option(help: "Rounds over every new province for the view queries.") var rounds = 5
        @Option(help: "Provinces computed at once (the nightly job uses 2).") var parallel = 2
        @Option(help: "Merges redone by the merges' fair floor (spread over the merges by rows carried).") var floorMerges = 3

        func validate() throws {
            if rounds < 1 || parallel < 1 || floorMerges < 1 { throw ValidationError("--rounds ≥ 1, --parallel ≥ 1, --floor-merges ≥ 1") }
        }

        /// A figure's line: its label, padded, then the figure.
        static func line(_ label: String, _ figure: String) {
            print(label + String(repeating: " ", count: max(1, 48 - label.count)) + figure)
        }

        func perform() async throws {
            let day = try parseDate(on, option: "--on")
            let data = try MigrationSet.locate().deletingLastPathComponent().appendingPathComponent("Deploy/data/vn-admin-units")
            let unitsPath = unitsFile ?? data.appendingPathComponent("units-2025.csv").path
            let successionPath = successionFile ?? data.appendingPathComponent("succession-2025.csv").path
            let units = try AdminUnitsCSV.parse(try readFile(unitsPath, option: "--units-file"))
            let succession = try SuccessionCSV.parse(try readFile(successionPath, option: "--succession-file"))

            let ok = try await withAdminDatabase(database, connections: max(3, parallel + 1)) { (owner) async throws -> Bool in
                let before = try await TenantStore(database: owner).list()
                guard before.filter({ $0.validTo == nil }).count > 1 else {
                    throw ChitieuError(.invalid, field: "database", reason: "it holds no national data; run `chitieu-bench allocate` and `bench progress` on it first")
                }
                if let done = before.first(where: { $0.validFrom == day }) {
                    throw ChitieuError(.invalid, field: "database", reason: "province \(done.code) \(done.name) begins on \(day) already: the reform was applied; start again from `bench allocate`")
                }
                print("chitieu-bench reform — \(before.count) provinces, \(URL(fileURLWithPath: unitsPath).lastPathComponent) and \(URL(fileURLWithPath: successionPath).lastPathComponent) on \(day)")

                // 1. The reform, from the same warm state its floor starts from.
                try await Self.vacuumCarried(owner)
                guard let report = try await apply(owner, units: units, succession: succession, on: day, source: URL(fileURLWithPath: unitsPath).lastPathComponent)
                else { return false }
                // 2. Completion of the new provinces.
                let provinces = try await TenantStore(database: owner).list().filter { $0.validFrom == day }.sorted { $0.code < $1.code }
                try await completion(owner, provinces)
                // 3. The views, through the daemon's role and tenant path.
                try await views(provinces)
                // 4. The merges' fair floor (rolled back: the reform's result stays as it was).
                try await mergeFloor(owner, report, day: day)

                // 5. Nothing lost, nothing counted twice.
                return try await check(owner, provinces, day: day)
            }
            if !ok { throw ExitCode(1) }
        }

        /// Applies the reform and prints its steps' times; its report, nil if it reported nothing.
        func apply(_ owner: ChitieuDatabase, units: AdminUnitsFile, succession: [SuccessionRow], on day: PostgresDate, source: String) async throws -> ReformReport? {
            var report: ReformReport?
            let total = try await Figures.time {
                report = try await ReformStore(database: owner).apply(
                    units: units, succession: succession, on: day, provinceCodes: nil, actor: .command("bench reform"),
                    source: source)
            }
            guard let report else { return nil }
            var carried: [String: Int] = [:]
            for merge in report.merges { for part in merge.parts { carried.merge(part.carried, uniquingKeysWith: +) } }
            let rows = carried.values.reduce(0, +)
            let predecessors = report.merges.reduce(0) { $0 + $1.parts.count }
            let links = report.succession.linksByProvince.values.reduce(0, +)
            Self.line("reform applied, all steps", String(format: "%8.2f s", total))
            Self.line("  new units (\(report.units.unitsRead) read, \(report.units.provincesCreated.count) provinces created)",
                      String(format: "%8.2f s", report.seconds["units"] ?? 0))
            Self.line("  merges (\(predecessors) provinces into \(report.merges.count))",
                      String(format: "%8.2f s   (%d rows carried)", report.seconds["merges"] ?? 0, rows))
            print("    carried by table: " + carried.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            Self.line("  succession links (\(links) written)", String(format: "%8.2f s", report.seconds["succession"] ?? 0))
            if report.succession.oldUnitsMissing + report.succession.newUnitsMissing > 0 {
                print("  not placed: \(report.succession.oldUnitsMissing) old communes, \(report.succession.newUnitsMissing) new communes")
            }
            // The nightly job runs after autovacuum has seen the copies; here they are analysed at once.
            let analyse = try await Figures.time {
                try await owner.pool.withConnection { c in
                    try await c.executeScript("ANALYZE chitieu.result; ANALYZE chitieu.target; ANALYZE chitieu.admin_unit; ANALYZE chitieu.unit_succession")
                }
            }
            Self.line("ANALYZE of the tables the reform wrote", String(format: "%8.2f s", analyse))
            return report
        }

        /// Completion of the new provinces, as the nightly job computes it, timed per province.
        func completion(_ owner: ChitieuDatabase, _ provinces: [Province]) async throws {
            let store = ProgressStore(database: owner)
            var work: [(province: Int64, phase: Int64)] = []
            for p in provinces {
                guard let id = try await store.phaseIDs(province: p.id, code: phase).first else {
                    throw ChitieuError(.invalid, field: "--phase", reason: "\(p.code) \(p.name) has no phase \(phase) after the reform")
                }
                work.append((p.id, id))
            }
            // As the nightly job does (ProgressStore.compute), timed per province.
            let computed = try await Self.inParallel(work, parallel: parallel) { item in
                try await store.compute([item], parallel: 1)
            }
            let onUnits = try await Self.inParallel(work, parallel: parallel) { item in
                try await store.storeOnUnits(province: item.province, phaseID: item.phase)
            }
            let byID = Dictionary(uniqueKeysWithValues: provinces.map { ($0.id, $0) })
            let slowest = onUnits.items.max { $0.seconds < $1.seconds }
            let slowestName = slowest.flatMap { byID[$0.item.province] }.map { "\($0.code) \($0.name)" } ?? ""
            let computeSlowest = computed.items.max { $0.seconds < $1.seconds }
            let computeSlowestName = computeSlowest.flatMap { byID[$0.item.province] }.map { "\($0.code) \($0.name)" } ?? ""
            Self.line("completion of \(phase), \(provinces.count) new provinces",
                      String(format: "%8.2f s   (%d figures written as reported, %d provinces at a time)",
                             computed.wall, computed.items.reduce(0) { $0 + $1.value }, parallel))
            Self.line("  per province", String(format: "median %.2f s, slowest %.2f s: ", Figures.median(computed.items.map(\.seconds)),
                                               computeSlowest?.seconds ?? 0) + computeSlowestName)
            Self.line("  on today's units alone (storeOnUnits)",
                      String(format: "%8.2f s   (%d figures; per province median %.2f s, slowest %.2f s: ",
                             onUnits.wall, onUnits.items.reduce(0) { $0 + $1.value }, Figures.median(onUnits.items.map(\.seconds)),
                             slowest?.seconds ?? 0) + slowestName + ")")
        }

        /// Runs `body` on every item, `parallel` at a time: the wall time and each item's time.
        static func inParallel<T: Sendable, R: Sendable>(
            _ items: [T], parallel: Int, _ body: @escaping @Sendable (T) async throws -> R
        ) async throws -> (wall: Double, items: [(item: T, seconds: Double, value: R)]) {
            var out: [(item: T, seconds: Double, value: R)] = []
            let wall = try await Figures.time {
                try await withThrowingTaskGroup(of: (T, Double, R).self) { group in
                    var next = 0
                    func start() {
                        guard next < items.count else { return }
                        let item = items[next]
                        next += 1
                        group.addTask {
                            let clock = ContinuousClock()
                            let begun = clock.now
                            let value = try await body(item)
                            return (item, (clock.now - begun).seconds, value)
                        }
                    }
                    for _ in 0..<parallel { start() }
                    while let done = try await group.next() {
                        out.append((done.0, done.1, done.2))
                        start()
                    }
                }
            }
            return (wall, out)
        }

        /// Each new province's reading of the views on today's units and as reported, through
        /// `withTenant` on the daemon's role; medians over provinces and rounds (a first round warms up).
        func views(_ provinces: [Province]) async throws {
            let app = ChitieuDatabase(
                pool: PostgresPool(
                    configuration: PostgresConfiguration(connectionString: database.appConnectionString, maxConnections: 1),
                    logger: database.makeLogger(defaultLevel: .warning)))
            let y = Int16(year)
            let statements: [(name: String, sql: @Sendable (Int64) -> PostgresQuery)] = [
                ("reporting.progress_phase_on_units", { "SELECT * FROM reporting.progress_phase_on_units WHERE province_id = \($0)" }),
                ("reporting.progress_phase", { "SELECT * FROM reporting.progress_phase WHERE province_id = \($0)" }),
                ("reporting.progress_yearly_on_units", { "SELECT * FROM reporting.progress_yearly_on_units WHERE province_id = \($0) AND year = \(y)" }),
                ("reporting.progress_yearly", { "SELECT * FROM reporting.progress_yearly WHERE province_id = \($0) AND year = \(y)" }),
            ]
            var seconds = [[Double]](repeating: [], count: statements.count)
            var rows = [[Double]](repeating: [], count: statements.count)
            do {
                for round in 0...rounds {
                    for p in provinces {
                        for (i, statement) in statements.enumerated() {
                            var n = 0
                            let s = try await Figures.time {
                                n = try await app.withTenant(p.id) { tx in try await tx.query(statement.sql(p.id), prepared: true).count }
                            }
                            if round > 0 {
                                seconds[i].append(s)
                                rows[i].append(Double(n))
                            }
                        }
                    }
                }
            } catch {
                await app.pool.shutdown()
                throw error
            }
            await app.pool.shutdown()
            let m = seconds.map { Figures.median($0) * 1000 }, r = rows.map { Int(Figures.median($0)) }
            Self.line("view reporting.progress_phase_on_units", String(format: "median %6.2f ms   (median %d rows, one province)", m[0], r[0]))
            Self.line("  reporting.progress_phase (as reported)",
                      String(format: "median %6.2f ms   (median %d rows; on units / as reported %.2f ×)", m[1], r[1], m[0] / m[1]))
            Self.line("view reporting.progress_yearly_on_units, \(year)", String(format: "median %6.2f ms   (median %d rows, one province)", m[2], r[2]))
            Self.line("  reporting.progress_yearly, \(year) (as reported)",
                      String(format: "median %6.2f ms   (median %d rows; on units / as reported %.2f ×)", m[3], r[3], m[2] / m[3]))
            print("  (through the daemon's role and withTenant, \(provinces.count) provinces × \(rounds) rounds)")
        }

        /// For every new province: its own unit's phase figure of each flow indicator on today's
        /// units (and as reported) against its predecessors' own units' phase figures as they
        /// reported them, and its results against theirs. Prints the outcome; false on a mismatch.
        func check(_ owner: ChitieuDatabase, _ provinces: [Province], day: PostgresDate) async throws -> Bool {
            let phase = self.phase
            let lastDay = day.dayBefore
            var mismatches: [String] = []
            var indicators = Set<String>()
            var results = 0
            for p in provinces {
                let predecessors = try await owner.pool.query(
                    "SELECT province_id, code FROM chitieu.province WHERE successor_id = \(p.id) ORDER BY code"
                ).map { (id: try $0.decode(Int64.self, at: 0), code: try $0.decode(String.self, at: 1)) }
                guard !predecessors.isEmpty else {
                    mismatches.append("\(p.code) \(p.name): no predecessor")
                    continue
                }
                let mine = try await owner.withTenant(p.id) { tx in
                    var onUnits: [String: Int] = [:], asReported: [String: Int] = [:]
                    for (table, into) in [("progress_on_units", 0), ("progress", 1)] {
                        for row in try await tx.query(PostgresQuery(
                            unsafeSQL: """
                                SELECT f.indicator_code, f.achieved FROM chitieu.\(table) f
                                JOIN chitieu.indicator i ON i.province_id = f.province_id AND i.indicator_id = f.indicator_id AND i.kind = 'flow'
                                WHERE f.province_id = $1 AND f.phase_code = $2 AND f.year IS NULL
                                  AND f.unit_id = (SELECT unit_id FROM chitieu.admin_unit WHERE province_id = $1 AND level = 'province' AND valid_from = $3)
                                """,
                            bindings: { var b = PostgresBindings(); b.append(p.id); b.append(phase); b.append(day); return b }()))
                        {
                            let code = try row.decode(String.self, at: 0), value = try row.decode(Int.self, at: 1)
                            if into == 0 { onUnits[code] = value } else { asReported[code] = value }
                        }
                    }
                    let count = try await tx.query("SELECT count(*) FROM chitieu.result WHERE province_id = \(p.id)")[0].decode(Int.self, at: 0)
                    return (onUnits: onUnits, asReported: asReported, results: count)
                }
                var theirs: [String: Int] = [:]
                var theirResults = 0
                for q in predecessors {
                    let (figures, count) = try await owner.withTenant(q.id) { tx in
                        let figures = try await tx.query(
                            """
                            SELECT f.indicator_code, f.achieved FROM chitieu.progress f
                            JOIN chitieu.indicator i ON i.province_id = f.province_id AND i.indicator_id = f.indicator_id AND i.kind = 'flow'
                            JOIN chitieu.admin_unit u ON u.province_id = f.province_id AND u.unit_id = f.unit_id
                            WHERE f.province_id = \(q.id) AND f.phase_code = \(phase) AND f.year IS NULL
                              AND u.level = 'province' AND u.parent_id IS NULL AND u.valid_from <= \(lastDay)
                            """
                        ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
                        let count = try await tx.query("SELECT count(*) FROM chitieu.result WHERE province_id = \(q.id)")[0].decode(Int.self, at: 0)
                        return (figures, count)
                    }
                    for (code, value) in figures { theirs[code, default: 0] += value }
                    theirResults += count
                }
                let from = predecessors.map(\.code).joined(separator: "+")
                if mine.results != theirResults {
                    mismatches.append("\(p.code) \(p.name): \(mine.results) results, its predecessors \(from) \(theirResults)")
                }
                for code in Set(theirs.keys).union(mine.onUnits.keys).union(mine.asReported.keys).sorted() {
                    indicators.insert(code)
                    let expected = theirs[code] ?? 0
                    if mine.onUnits[code] != expected {
                        mismatches.append("\(p.code) \(p.name) \(code) on today's units: \(mine.onUnits[code].map(String.init) ?? "none"), its predecessors \(from) \(expected)")
                    }
                    if mine.asReported[code] != expected {
                        mismatches.append("\(p.code) \(p.name) \(code) as reported: \(mine.asReported[code].map(String.init) ?? "none"), its predecessors \(from) \(expected)")
                    }
                }
                results += mine.results
            }
            if mismatches.isEmpty {
                print("totals check: ok (\(provinces.count) new provinces × \(indicators.count) flow indicators, phase figure on today's units and as reported; \(results) results, none lost or counted twice)")
                return true
            }
            print("totals check: \(mismatches.count) mismatches")
            for line in mismatches { print("  " + line) }
            return false
        }
    }
}

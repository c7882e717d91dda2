import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench client`: the PostgreSQL client's write paths.
    struct Client: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "The PostgreSQL client: single inserts, batched inserts, COPY, psql \\copy as the reference, and the national units import.",
            discussion: """
                Runs as the owner (CHITIEU_ADMIN_DATABASE_URL) in a scratch schema chitieu_bench that it drops
                afterwards; the national import runs in a transaction that is rolled back. Each figure is the
                median of --runs runs.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Rows for the batched, COPY and psql runs.") var rows = 200_000
        @Option(help: "Rows for the single-insert runs.") var singleRows = 10_000
        @Option(help: "Rows per batched insert.") var batchSize = 1_000
        @Option(help: "Runs per figure (the median is printed).") var runs = 5
        @Option(help: "The national units file (default: Deploy/data/vn-admin-units/units-2021.csv of the checkout).")
        var unitsFile: String?

        func validate() throws {
            if rows < 1000 || singleRows < 100 || batchSize < 1 || runs < 1 {
                throw ValidationError("--rows ≥ 1000, --single-rows ≥ 100, --batch-size ≥ 1, --runs ≥ 1")
            }
        }

        struct Row {
            var id: Int
            var unit: String
            var name: String
            var value: Int
        }

        func makeRows(_ count: Int) -> [Row] {
            let names = ["Tổ truyền thông cộng đồng", "Câu lạc bộ Thủ lĩnh của sự thay đổi", "Lớp tập huấn giám sát bình đẳng giới", "Xã Điện Quan"]
            return (0..<count).map { i in Row(id: i, unit: String(format: "%05d", i % 10_035), name: "\(names[i % names.count]) \(i)", value: i % 97) }
        }

        func perform() async throws {
            let (results, copyTime, psqlTime) = try await measureWrites()
            let (unitCount, importTime, parseTime) = try await measureUnitsImport()
            print("chitieu-bench client — median of \(runs) runs")
            let table = results.map { name, count, time in
                [name, String(count), String(format: "%.3f", time), String(format: "%.0f", Double(count) / time)]
            }
            print(Output.table(columns: ["path", "rows", "seconds", "rows/s"], rows: table), terminator: "")
            if let psqlTime {
                print(String(format: "COPY through chitieu / psql \\copy (its own timing): %.2f × the time.", copyTime / psqlTime))
            }
            print(String(format: "National units import (%d units, 63 provinces, rolled back): %.3f s (of which CSV parse %.3f s).", unitCount, importTime, parseTime))
        }

        /// The write paths in a scratch schema: each path's rows and median seconds, COPY's and psql's.
        func measureWrites() async throws -> (results: [(String, Int, Double)], copy: Double, psql: Double?) {
            let logger = database.makeLogger(defaultLevel: .warning)
            let config = PostgresConfiguration(connectionString: database.adminConnectionString, maxConnections: 1)
            let connection = try await PostgresConnection.connect(config, logger: logger)
            let data = makeRows(rows)
            let single = Array(data.prefix(singleRows))
            try await connection.executeScript("DROP SCHEMA IF EXISTS chitieu_bench CASCADE; CREATE SCHEMA chitieu_bench")
            /// The median time of `runs` runs of `body`, each on a fresh table.
            func timed(_ body: () async throws -> Void) async throws -> Double {
                var times: [Double] = []
                for _ in 0..<runs {
                    try await connection.executeScript("DROP TABLE IF EXISTS chitieu_bench.member; CREATE TABLE chitieu_bench.member (id bigint, unit_code text, name text, value bigint)")
                    times.append(try await Figures.time(body))
                }
                return Figures.median(times)
            }
            var results: [(String, Int, Double)] = []

            // 1. One parameterised INSERT per row (prepared), in one transaction.
            results.append(("single parameterised INSERTs (prepared)", single.count, try await timed {
                try await connection.withTransaction { tx in
                    for row in single {
                        try await tx.query(
                            "INSERT INTO chitieu_bench.member (id, unit_code, name, value) VALUES (\(row.id), \(row.unit), \(row.name), \(row.value))",
                            prepared: true)
                    }
                }
            }))

            // 2. Batched: unnest of array parameters, batchSize rows a statement.
            results.append(("batched INSERT … unnest (\(batchSize) rows)", data.count, try await timed {
                try await connection.withTransaction { tx in
                    var start = 0
                    while start < data.count {
                        let batch = data[start..<min(start + batchSize, data.count)]
                        try await tx.query(
                            """
                            INSERT INTO chitieu_bench.member (id, unit_code, name, value)
                            SELECT * FROM unnest(\(batch.map(\.id))::bigint[], \(batch.map(\.unit))::text[], \(batch.map(\.name))::text[], \(batch.map(\.value))::bigint[])
                            """, prepared: true)
                        start += batchSize
                    }
                }
            }))

            // 3. COPY FROM STDIN through the client.
            let copyTime = try await timed {
                try await connection.copyFrom("COPY chitieu_bench.member (id, unit_code, name, value) FROM STDIN") { writer in
                    for row in data { try writer.appendRow([String(row.id), row.unit, row.name, String(row.value)]) }
                }
            }
            results.append(("COPY FROM STDIN (chitieu)", data.count, copyTime))

            // 4. The reference: psql \copy of the same rows from a file.
            let path = try Self.writeTSV(data)
            defer { try? FileManager.default.removeItem(atPath: path) }
            // Timed two ways: the whole psql run (starting it and connecting included), and the
            // \copy alone as psql's own \timing reports it, the fair reference.
            var psqlTime: Double?
            do {
                var own: [Double] = []
                let wall = try await timed {
                    let output = try runPsql(database.adminConnectionString, "\\timing on", "\\copy chitieu_bench.member (id, unit_code, name, value) FROM '\(path)'")
                    if let ms = Programs.field(output, after: "Time:").flatMap(Double.init) { own.append(ms / 1000) }
                }
                if own.count == runs {
                    psqlTime = Figures.median(own)
                    results.append(("psql \\copy, its own \\timing (the reference)", data.count, Figures.median(own)))
                }
                results.append(("  the whole psql run, start and connection included", data.count, wall))
            } catch {
                Output.note("psql reference skipped: \(error)")
            }

            try await connection.executeScript("DROP SCHEMA chitieu_bench CASCADE")
            await connection.close()
            return (results, copyTime, psqlTime)
        }

        /// The rows as a tab-separated file for psql's \copy; its path.
        static func writeTSV(_ data: [Row]) throws -> String {
            let path = NSTemporaryDirectory() + "/chitieu-bench-\(getpid()).tsv"
            var text = ""
            text.reserveCapacity(data.count * 48)
            for row in data { text += "\(row.id)\t\(row.unit)\t\(row.name)\t\(row.value)\n" }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// The national units import, rolled back each time: units read, median seconds in all and parsing.
        func measureUnitsImport() async throws -> (units: Int, seconds: Double, parse: Double) {
            let unitsPath = try unitsFile ?? MigrationSet.locate().deletingLastPathComponent().appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path
            guard let unitsData = FileManager.default.contents(atPath: unitsPath) else {
                throw ChitieuError(.invalid, field: "--units-file", reason: "cannot read \(unitsPath)")
            }
            var parseTimes: [Double] = []
            var importTimes: [Double] = []
            var unitCount = 0
            try await withAdminDatabase(database) { db in
                for _ in 0..<runs {
                    let start = ContinuousClock.now
                    let parsed = try AdminUnitsCSV.parse(unitsData)
                    let parsedAt = ContinuousClock.now
                    let report = try await UnitStore(database: db).importUnits(
                        parsed, validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil, actor: .command("bench client"),
                        source: "bench", dryRun: true)
                    let end = ContinuousClock.now
                    unitCount = report.unitsRead
                    parseTimes.append((parsedAt - start).seconds)
                    importTimes.append((end - start).seconds)
                }
            }
            return (unitCount, Figures.median(importTimes), Figures.median(parseTimes))
        }

        /// psql running `commands` in turn; what it printed.
        func runPsql(_ connectionString: String, _ commands: String...) throws -> String {
            let arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1"] + commands.flatMap { ["-c", $0] } + (connectionString.isEmpty ? [] : [connectionString])
            let (status, output) = try Programs.capture("psql", arguments, quiet: false)
            guard status == 0 else {
                throw ChitieuError(.invalid, field: "psql", reason: "psql exited with status \(status)")
            }
            return output
        }
    }

    struct Allocate: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate at national scale: every province of units-2021.csv, ten indicators each, 2021-2025, down to every commune.",
            discussion: """
                Meant for a scratch database (./Deploy/dev bench makes one): it imports the national units and the
                Project 8 catalogue into every province, sets phase targets (--prepared: a database an earlier run left
                has them), then allocates everything from scratch and prints the time beside its fair floor (the same
                cells by one INSERT … SELECT per province, alternated), and the time, rows and statements of a rerun
                with unchanged inputs.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Runs (the median is printed).") var runs = 3
        @Option(help: "Provinces allocated at once.") var parallel = 2
        @Flag(help: "The database already holds what preparing leaves (the national units, the catalogue and the phase targets of every province, as an earlier run leaves them): skip preparing.")
        var prepared = false

        func perform() async throws {
            var runsFigures = AllocationRuns()
            try await withAdminDatabase(database, connections: max(2, parallel)) { db in
                let provinces = prepared ? try await preparedProvinces(db) : try await prepare(db)
                runsFigures = try await allocate(provinces, db)
                // The floor: COPY as many rows of the same shape into a scratch table.
                try await db.pool.withConnection { c in
                    try await c.executeScript("DROP TABLE IF EXISTS chitieu_bench_target; CREATE TABLE chitieu_bench_target (province_id bigint, indicator_id bigint, unit_id bigint, phase_id bigint, year smallint, value bigint, origin text)")
                }
            }
            let copyTimes = try await copyFloor(cells: runsFigures.cells)
            let wall = Figures.median(runsFigures.wall), floor = Figures.median(runsFigures.floor)
            print("chitieu-bench allocate — 63 provinces × 10 indicators, 2021-2025, \(parallel) provinces at a time, median of \(runs) runs")
            print(Output.table(columns: ["what", "seconds"], rows: [
                ["target cells computed and written", String(runsFigures.cells)],
                ["whole allocation from scratch (wall)", String(format: "%.3f", wall)],
                ["  computing, summed over provinces (no IO)", String(format: "%.3f", Figures.median(runsFigures.compute))],
                ["  reading and writing, summed over provinces", String(format: "%.3f", Figures.median(runsFigures.write))],
                ["fair floor: the same cells, one INSERT … SELECT per province", String(format: "%.3f", floor)],
                ["  into chitieu.target (its keys), same role and row-level security,", ""],
                ["  same parallelism, warm, run alternately with the allocation", ""],
                ["ratio allocation / fair floor", String(format: "%.2f ×", floor > 0 ? wall / floor : 0)],
                ["context: COPY of as many rows into a bare table", String(format: "%.3f", Figures.median(copyTimes))],
                ["rerun with unchanged inputs (fingerprint equal: nothing computed)", String(format: "%.3f", runsFigures.rerun)],
                ["  rows read / written by the rerun", "\(runsFigures.rerunRead) / \(runsFigures.rerunWritten)"],
                ["  statements per province, from scratch / rerun", "\(runsFigures.statements) / \(runsFigures.rerunStatements)"],
            ]), terminator: "")
        }

        static let phase = "2021-2025"
        static let day = PostgresDate(year: 2021, month: 1, day: 1)

        /// The national units and the catalogue in every province, with phase targets; the provinces' ids.
        func prepare(_ db: ChitieuDatabase) async throws -> [Int64] {
            let root = try MigrationSet.locate().deletingLastPathComponent()
            guard let unitsData = FileManager.default.contents(atPath: root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path),
                let catalogueData = FileManager.default.contents(atPath: root.appendingPathComponent("Deploy/catalogue/project8-indicators.csv").path)
            else { throw ChitieuError(.invalid, field: "data", reason: "cannot read the national units file or the catalogue in \(root.path)") }
            let file = try AdminUnitsCSV.parse(unitsData)
            let catalogue = try IndicatorCatalogueCSV.parse(catalogueData).map {
                IndicatorStore.CatalogueEntry(draft: $0.draft, suspendedFrom: nil, suspendedReason: nil)
            }
            _ = try await UnitStore(database: db).importUnits(file, validFrom: Self.day, validTo: nil, actor: .command("bench allocate"), source: "units-2021.csv")
            let provinces = try await TenantStore(database: db).list().filter { $0.validFrom == Self.day }
            let communes = Dictionary(grouping: file.units(at: .commune), by: \.provinceCode).mapValues(\.count)
            for p in provinces {
                _ = try await IndicatorStore(database: db).importCatalogue(catalogue, province: p.id, caller: .command("bench allocate"))
                for (i, entry) in catalogue.enumerated() {
                    let value = (communes[p.code] ?? 10) * (i + 2) + i
                    _ = try await TargetStore(database: db).set(
                        province: p.id, indicatorCode: entry.draft.code, phaseCode: Self.phase, unitCode: nil, year: nil, value: value,
                        lock: false, caller: .command("bench allocate"))
                }
            }
            return try await preparedProvinces(db)
        }

        /// The provinces that preparing made (those valid from the first day of the phase).
        func preparedProvinces(_ db: ChitieuDatabase) async throws -> [Int64] {
            try await db.pool.withConnection { c in
                try await c.query("SELECT province_id FROM chitieu.province WHERE valid_from = \(Self.day)").map { try $0.decode(Int64.self, at: 0) }
            }
        }

        /// The seconds of each run from scratch (wall, computing, reading and writing), of the
        /// fair floor, of the rerun, and the cells.
        struct AllocationRuns {
            var compute: [Double] = [], write: [Double] = [], wall: [Double] = [], floor: [Double] = []
            var rerun = 0.0
            var cells = 0
            /// The rerun's rows read and written, and statements per province (median).
            var rerunRead = 0, rerunWritten = 0, statements = 0, rerunStatements = 0
        }

        /// Runs alternate: the allocation from no allocated cell (it writes all of them), then the
        /// fair floor writing the same cells; the last run reruns the allocation with unchanged
        /// inputs (the common case), which writes nothing. Before each timed run the table is
        /// vacuumed and analysed, so both find it in the same state.
        func allocate(_ provinces: [Int64], _ db: ChitieuDatabase) async throws -> AllocationRuns {
            var figures = AllocationRuns()
            for run in 0...runs {
                if run < runs { try await clearAllocated(provinces, db) }
                let start = ContinuousClock.now
                let reports = try await eachProvince(provinces) { id in
                    try await AllocationStore(database: db).allocate(province: id, phaseCode: Self.phase, indicatorCode: nil, caller: .command("bench allocate"))
                }
                let seconds = (ContinuousClock.now - start).seconds
                let c = reports.map(\.computeSeconds).reduce(0, +), w = reports.map(\.databaseSeconds).reduce(0, +)
                let statements = reports.map(\.statements).sorted()[reports.count / 2]
                guard run < runs else {
                    figures.rerun = seconds
                    figures.rerunRead = reports.map(\.rowsRead).reduce(0, +)
                    figures.rerunWritten = reports.map(\.changed).reduce(0, +)
                    figures.rerunStatements = statements
                    break
                }
                figures.statements = statements
                figures.cells = reports.map(\.cells).reduce(0, +)
                figures.compute.append(c)
                figures.write.append(w)
                figures.wall.append(seconds)
                figures.floor.append(try await floorRun(provinces, db))
            }
            try await db.pool.withConnection { c in try await c.executeScript("DROP TABLE IF EXISTS public.chitieu_bench_allocated") }
            return figures
        }

        /// Deletes every allocated cell, then vacuums and analyses the table.
        func clearAllocated(_ provinces: [Int64], _ db: ChitieuDatabase) async throws {
            for id in provinces {
                _ = try await db.withTenant(id) { tx in
                    try await tx.query("DELETE FROM chitieu.target WHERE province_id = \(tx.provinceID) AND origin = 'allocated'")
                }
            }
            try await db.pool.withConnection { c in try await c.executeScript("VACUUM ANALYZE chitieu.target") }
        }

        /// The fair floor of one run: the cells the allocation just wrote, kept aside, deleted, and
        /// written again by one hand-written INSERT … SELECT per province into chitieu.target, in
        /// the province's transaction (the same role, row-level security and keys), as many
        /// provinces at a time as the allocation. Its seconds (wall).
        func floorRun(_ provinces: [Int64], _ db: ChitieuDatabase) async throws -> Double {
            try await db.pool.withConnection { c in
                try await c.executeScript("""
                    DROP TABLE IF EXISTS public.chitieu_bench_allocated;
                    CREATE TABLE public.chitieu_bench_allocated AS
                        SELECT province_id, indicator_id, unit_id, phase_id, year, value, companion_value, origin, locked FROM chitieu.target WITH NO DATA
                    """)
            }
            // Row-level security shows each province's cells in its own transaction only.
            for id in provinces {
                _ = try await db.withTenant(id) { tx in
                    try await tx.query("""
                        INSERT INTO public.chitieu_bench_allocated
                        SELECT province_id, indicator_id, unit_id, phase_id, year, value, companion_value, origin, locked
                        FROM chitieu.target WHERE province_id = \(tx.provinceID) AND origin = 'allocated'
                        """)
                }
            }
            try await db.pool.withConnection { c in
                try await c.executeScript("CREATE INDEX ON public.chitieu_bench_allocated (province_id); ANALYZE public.chitieu_bench_allocated")
            }
            try await clearAllocated(provinces, db)
            let start = ContinuousClock.now
            _ = try await eachProvince(provinces) { id in
                _ = try await db.withTenant(id) { tx in
                    try await tx.query("""
                        INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, companion_value, origin, locked)
                        SELECT province_id, indicator_id, unit_id, phase_id, year, value, companion_value, origin, locked
                        FROM public.chitieu_bench_allocated WHERE province_id = \(tx.provinceID)
                        """)
                }
            }
            return (ContinuousClock.now - start).seconds
        }

        /// `body` for every province, --parallel at a time (provinces are independent, each in its
        /// own transaction); what each returned.
        func eachProvince<T: Sendable>(_ provinces: [Int64], _ body: @escaping @Sendable (Int64) async throws -> T) async throws -> [T] {
            try await withThrowingTaskGroup(of: T.self) { group in
                var next = 0, out: [T] = []
                func startNext() {
                    guard next < provinces.count else { return }
                    let id = provinces[next]
                    next += 1
                    group.addTask { try await body(id) }
                }
                for _ in 0..<parallel { startNext() }
                while let value = try await group.next() {
                    out.append(value)
                    startNext()
                }
                return out
            }
        }

        /// The seconds COPY takes to write as many rows of the same shape, each run.
        func copyFloor(cells: Int) async throws -> [Double] {
            var copyTimes: [Double] = []
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: database.adminConnectionString), logger: database.makeLogger(defaultLevel: .warning))
            for _ in 0..<runs {
                try await connection.executeScript("TRUNCATE chitieu_bench_target")
                copyTimes.append(try await Figures.time {
                    try await connection.copyFrom("COPY chitieu_bench_target (province_id, indicator_id, unit_id, phase_id, year, value, origin) FROM STDIN") { writer in
                        for i in 0..<cells {
                            try writer.appendRow(["1", String(i % 10), String(i / 60), "1", i % 6 == 0 ? nil : String(2020 + i % 6), String(i % 50), "allocated"])
                        }
                    }
                })
            }
            try await connection.executeScript("DROP TABLE chitieu_bench_target")
            await connection.close()
            return copyTimes
        }
    }
}

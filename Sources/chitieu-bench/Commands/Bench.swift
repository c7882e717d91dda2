import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench client`: the PostgreSQL client's write paths.
    struct Client: AsyncParsableCommand {
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

        func run() async throws {
            try await runReportingErrors {
                let logger = database.makeLogger(defaultLevel: .warning)
                let config = PostgresConfiguration(connectionString: database.adminConnectionString, maxConnections: 1)
                let connection = try await PostgresConnection.connect(config, logger: logger)
                let data = makeRows(rows)
                let single = Array(data.prefix(singleRows))
                try await connection.executeScript("DROP SCHEMA IF EXISTS chitieu_bench CASCADE; CREATE SCHEMA chitieu_bench")
                let create = "CREATE TABLE chitieu_bench.member (id bigint, unit_code text, name text, value bigint)"
                func fresh() async throws {
                    try await connection.executeScript("DROP TABLE IF EXISTS chitieu_bench.member; \(create)")
                }
                func timed(_ body: () async throws -> Void) async throws -> Double {
                    try await fresh()
                    let start = ContinuousClock.now
                    try await body()
                    let elapsed = ContinuousClock.now - start
                    return elapsed.seconds
                }
                func median(_ values: [Double]) -> Double {
                    let s = values.sorted()
                    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
                }
                var results: [(String, Int, Double)] = []

                // 1. One parameterised INSERT per row (prepared), in one transaction.
                var times: [Double] = []
                for _ in 0..<runs {
                    times.append(try await timed {
                        try await connection.withTransaction { tx in
                            for row in single {
                                try await tx.query(
                                    "INSERT INTO chitieu_bench.member (id, unit_code, name, value) VALUES (\(row.id), \(row.unit), \(row.name), \(row.value))",
                                    prepared: true)
                            }
                        }
                    })
                }
                results.append(("single parameterised INSERTs (prepared)", single.count, median(times)))

                // 2. Batched: unnest of array parameters, batchSize rows a statement.
                times = []
                for _ in 0..<runs {
                    times.append(try await timed {
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
                    })
                }
                results.append(("batched INSERT … unnest (\(batchSize) rows)", data.count, median(times)))

                // 3. COPY FROM STDIN through the client.
                times = []
                for _ in 0..<runs {
                    times.append(try await timed {
                        try await connection.copyFrom("COPY chitieu_bench.member (id, unit_code, name, value) FROM STDIN") { writer in
                            for row in data { try writer.appendRow([String(row.id), row.unit, row.name, String(row.value)]) }
                        }
                    })
                }
                let copyTime = median(times)
                results.append(("COPY FROM STDIN (chitieu)", data.count, copyTime))

                // 4. The reference: psql \copy of the same rows from a file.
                let path = NSTemporaryDirectory() + "/chitieu-bench-\(getpid()).tsv"
                var text = ""
                text.reserveCapacity(data.count * 48)
                for row in data { text += "\(row.id)\t\(row.unit)\t\(row.name)\t\(row.value)\n" }
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: path) }
                times = []
                var psqlAvailable = true
                for _ in 0..<runs {
                    do {
                        times.append(try await timed {
                            try runPsql(database.adminConnectionString, "\\copy chitieu_bench.member (id, unit_code, name, value) FROM '\(path)'")
                        })
                    } catch {
                        psqlAvailable = false
                        Output.note("psql reference skipped: \(error)")
                        break
                    }
                }
                let psqlTime = psqlAvailable ? median(times) : nil
                if let psqlTime { results.append(("psql \\copy from a file (reference)", data.count, psqlTime)) }

                try await connection.executeScript("DROP SCHEMA chitieu_bench CASCADE")
                await connection.close()

                // 5. The national units import, rolled back each time.
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

                print("chitieu-bench client — median of \(runs) runs")
                let table = results.map { name, count, time in
                    [name, String(count), String(format: "%.3f", time), String(format: "%.0f", Double(count) / time)]
                }
                print(Output.table(columns: ["path", "rows", "seconds", "rows/s"], rows: table), terminator: "")
                if let psqlTime {
                    print(String(format: "COPY through chitieu reaches %.0f%% of psql \\copy's rate.", psqlTime / copyTime * 100))
                }
                print(String(format: "National units import (%d units, 63 provinces, rolled back): %.3f s (of which CSV parse %.3f s).", unitCount, median(importTimes), median(parseTimes)))
            }
        }

        func runPsql(_ connectionString: String, _ command: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command] + (connectionString.isEmpty ? [] : [connectionString])
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ChitieuError(.invalid, field: "psql", reason: "psql exited with status \(process.terminationStatus)")
            }
        }
    }

    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate at national scale: every province of units-2021.csv, ten indicators each, 2021-2025, down to every commune.",
            discussion: """
                Meant for a scratch database (./Deploy/dev bench makes one): it imports the national units and the
                Project 8 catalogue into every province, sets phase targets, then allocates everything and prints the
                time to compute, the time to write, and the time COPY takes to write as many rows (the floor).
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Runs (the median is printed).") var runs = 3
        @Option(help: "Provinces allocated at once.") var parallel = 2

        func run() async throws {
            try await runReportingErrors {
                let root = try MigrationSet.locate().deletingLastPathComponent()
                guard let unitsData = FileManager.default.contents(atPath: root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path),
                    let catalogueData = FileManager.default.contents(atPath: root.appendingPathComponent("Deploy/catalogue/project8-indicators.csv").path)
                else { throw ChitieuError(.invalid, field: "data", reason: "cannot read the national units file or the catalogue in \(root.path)") }
                let file = try AdminUnitsCSV.parse(unitsData)
                let catalogue = try IndicatorCatalogueCSV.parse(catalogueData).map {
                    IndicatorStore.CatalogueEntry(draft: $0.draft, suspendedFrom: nil, suspendedReason: nil)
                }
                let phase = "2021-2025"
                let day = PostgresDate(year: 2021, month: 1, day: 1)
                var compute: [Double] = [], write: [Double] = [], wall: [Double] = []
                var rerun = 0.0
                var cells = 0
                try await withAdminDatabase(database, connections: max(2, parallel)) { db in
                    _ = try await UnitStore(database: db).importUnits(file, validFrom: day, validTo: nil, actor: .command("bench allocate"), source: "units-2021.csv")
                    let provinces = try await TenantStore(database: db).list().filter { $0.validFrom == day }
                    let communes = Dictionary(grouping: file.units(at: .commune), by: \.provinceCode).mapValues(\.count)
                    for p in provinces {
                        _ = try await IndicatorStore(database: db).importCatalogue(catalogue, province: p.id, caller: .command("bench allocate"))
                        for (i, entry) in catalogue.enumerated() {
                            let value = (communes[p.code] ?? 10) * (i + 2) + i
                            _ = try await TargetStore(database: db).set(
                                province: p.id, indicatorCode: entry.draft.code, phaseCode: phase, unitCode: nil, year: nil, value: value,
                                lock: false, caller: .command("bench allocate"))
                        }
                    }
                    let su = try await db.pool.withConnection { c in
                        try await c.query("SELECT province_id FROM chitieu.province WHERE valid_from = \(day)").map { try $0.decode(Int64.self, at: 0) }
                    }
                    for run in 0...runs {
                        // Every run but the last starts from no allocated cell, so it writes all of them;
                        // the last reruns with unchanged inputs (the common case), which writes nothing.
                        if run < runs {
                            for id in su {
                                _ = try await db.withTenant(id) { tx in
                                    try await tx.query("DELETE FROM chitieu.target WHERE province_id = \(tx.provinceID) AND origin = 'allocated'")
                                }
                            }
                        }
                        let start = ContinuousClock.now
                        var c = 0.0, w = 0.0, n = 0
                        // Provinces are independent: \(parallel) at a time, each in its own transaction.
                        try await withThrowingTaskGroup(of: AllocationReport.self) { group in
                            var next = 0
                            func startNext() {
                                guard next < su.count else { return }
                                let id = su[next]
                                next += 1
                                group.addTask {
                                    try await AllocationStore(database: db).allocate(province: id, phaseCode: phase, indicatorCode: nil, caller: .command("bench allocate"))
                                }
                            }
                            for _ in 0..<parallel { startNext() }
                            while let report = try await group.next() {
                                c += report.computeSeconds
                                w += report.databaseSeconds
                                n += report.cells
                                startNext()
                            }
                        }
                        let elapsed = ContinuousClock.now - start
                        let seconds = elapsed.seconds
                        if run == runs {
                            rerun = seconds
                        } else {
                            compute.append(c)
                            write.append(w)
                            wall.append(seconds)
                        }
                        cells = n
                    }
                    // The floor: COPY as many rows of the same shape into a scratch table.
                    try await db.pool.withConnection { c in
                        try await c.executeScript("DROP TABLE IF EXISTS chitieu_bench_target; CREATE TABLE chitieu_bench_target (province_id bigint, indicator_id bigint, unit_id bigint, phase_id bigint, year smallint, value bigint, origin text)")
                    }
                }
                var copyTimes: [Double] = []
                let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: database.adminConnectionString), logger: database.makeLogger(defaultLevel: .warning))
                for _ in 0..<runs {
                    try await connection.executeScript("TRUNCATE chitieu_bench_target")
                    let start = ContinuousClock.now
                    let total = cells
                    try await connection.copyFrom("COPY chitieu_bench_target (province_id, indicator_id, unit_id, phase_id, year, value, origin) FROM STDIN") { writer in
                        for i in 0..<total {
                            try writer.appendRow(["1", String(i % 10), String(i / 60), "1", i % 6 == 0 ? nil : String(2020 + i % 6), String(i % 50), "allocated"])
                        }
                    }
                    let elapsed = ContinuousClock.now - start
                    copyTimes.append(elapsed.seconds)
                }
                try await connection.executeScript("DROP TABLE chitieu_bench_target")
                await connection.close()
                func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
                print("chitieu-bench allocate — 63 provinces × 10 indicators, 2021-2025, \(parallel) provinces at a time, median of \(runs) runs")
                print(Output.table(columns: ["what", "seconds"], rows: [
                    ["target cells computed and written", String(cells)],
                    ["whole allocation from scratch (wall)", String(format: "%.3f", median(wall))],
                    ["  computing, summed over provinces (no IO)", String(format: "%.3f", median(compute))],
                    ["  reading and writing, summed over provinces", String(format: "%.3f", median(write))],
                    ["COPY of as many rows (the floor)", String(format: "%.3f", median(copyTimes))],
                    ["rerun with unchanged inputs (writes nothing)", String(format: "%.3f", rerun)],
                ]), terminator: "")
            }
        }
    }
}

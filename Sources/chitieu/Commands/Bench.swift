import ArgumentParser
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// `chitieu bench …`: figures, printed, on the database it is pointed at.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure chitieu on a database and print the figures.", subcommands: [Client.self])

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
                    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
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
                    throw InputError(field: "--units-file", reason: "cannot read \(unitsPath)")
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
                        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
                        parseTimes.append(seconds(parsedAt - start))
                        importTimes.append(seconds(end - start))
                    }
                }

                print("chitieu bench client — median of \(runs) runs")
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
                throw InputError(field: "psql", reason: "psql exited with status \(process.terminationStatus)")
            }
        }
    }
}

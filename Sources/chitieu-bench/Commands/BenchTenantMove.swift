import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Logging
import Postgres

extension ChitieuBench {
    /// `chitieu-bench tenant-move`: a province moved between databases, and the data's size.
    struct TenantMoveBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "tenant-move",
            abstract: "A province moved and the data's size: `chitieu tenant export` and `tenant import` beside a fair floor, then Deploy/bench/sizes.sql.",
            discussion: """
                On what `allocate` and `progress` left: exports the province with the most results, then
                --runs times in turn imports it into an empty database made for it (made afresh and
                migrated before each import, dropped afterwards) with `chitieu tenant import`, and writes
                the same rows by the fair floor: the file's lines of each table COPied into a staging
                table, then one INSERT … SELECT per table (the rows parsed by jsonb_populate_record) into
                the same tables, in one transaction of the province as the owner, as the import runs.
                Then it prints the rows and bytes per table and per province, projected to 2030
                (sizes.sql, through psql as the superuser).
                """)

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The database `allocate` and `progress` filled.") var database = "chitieu_bench"
        @Option(help: "The psql program.") var psql = "psql"
        @Option(help: "The directory of sizes.sql (default: Deploy/bench of the checkout).") var scripts: String?
        @Option(help: "Imports of each kind, alternated (medians are printed).") var runs = 3

        func validate() throws {
            if runs < 1 { throw ValidationError("--runs ≥ 1") }
        }

        func perform() async throws {
            let data = NationalData(cluster: cluster, database: database, clients: 0)
            guard let code = try await data.strings("""
                SELECT p.code AS v FROM chitieu.result r JOIN chitieu.province p USING (province_id)
                GROUP BY p.code ORDER BY count(*) DESC LIMIT 1
                """).first
            else { throw BenchFailure("no results in \(database): run `allocate` and `progress` first") }
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("chitieu-tenant-\(UUID().uuidString.prefix(8)).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            let chitieu = try Programs.chitieu().path
            let exportSeconds = try await Figures.time {
                try Programs.output(chitieu, ["tenant", "export", "--province", code, "--out", file.path, "--database-url", cluster.url(cluster.owner, database)])
            }
            let bytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.doubleValue ?? 0
            print("province \(code): tenant export \(String(format: "%.1f", exportSeconds)) s (\(String(format: "%.0f", bytes / 1e6)) MB)")
            try await importAndFloor(file, chitieu: chitieu)
            let sizes = try Programs.scripts(scripts).appendingPathComponent("sizes.sql").path
            print(try Programs.output(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", sizes, cluster.url(cluster.superuser, database)]), terminator: "")
        }

        /// The import and its fair floor, alternated, each into an empty database made and
        /// migrated the same way; prints their medians and the ratio.
        func importAndFloor(_ file: URL, chitieu: String) async throws {
            let target = "chitieu_bench_import"
            let into = ["--database-url", cluster.url(cluster.owner, target)]
            func empty() async throws {
                try await cluster.recreate(target, owner: cluster.owner)
                try Programs.output(chitieu, ["db", "migrate"] + into)
            }
            var product: [Double] = [], floor: [Double] = [], staging: [Double] = []
            var rows = 0
            for _ in 0..<runs {
                try await empty()
                product.append(try await Figures.time { try Programs.output(chitieu, ["tenant", "import", "--file", file.path] + into) })
                try await empty()
                let run = try await floorImport(file, into: target)
                floor.append(run.seconds)
                staging.append(run.copy)
                rows = run.rows
            }
            try await cluster.drop(target)
            let p = Figures.median(product), f = Figures.median(floor)
            func range(_ values: [Double]) -> String {
                String(format: "%.1f–%.1f s", values.min() ?? 0, values.max() ?? 0)
            }
            let line = ReformBench.line
            print("tenant import into an empty database (\(rows) rows, median of \(runs), alternated with the floor)")
            line("  chitieu tenant import (the whole command)", String(format: "%8.2f s   %8.0f rows/s   (", p, FloorSQL.rate(rows, p)) + range(product) + ")")
            line("  fair floor: COPY to staging, then one", String(format: "%8.2f s   %8.0f rows/s   (", f, FloorSQL.rate(rows, f)) + range(floor) + ")")
            print("    INSERT … SELECT per table (jsonb_populate_record), the same tables, keys and")
            print("    row-level security, one transaction of the province as the owner, one at a time")
            line("  ratio import / fair floor", String(format: "%8.2f ×", f > 0 ? p / f : 0))
            line("  context: the floor's COPY into staging alone", String(format: "%8.2f s", Figures.median(staging)))
        }

        /// The fair floor of one import: the file read and its lines split by table, each table's
        /// lines COPied into a staging table, then one INSERT … SELECT per table, in foreign-key
        /// order, in one transaction of the province (as `tenant import` writes them). The
        /// seconds in all and of the COPYs, and the rows written; throws unless every row was.
        func floorImport(_ file: URL, into target: String) async throws -> (seconds: Double, copy: Double, rows: Int) {
            let db = ChitieuDatabase(pool: PostgresPool(
                configuration: PostgresConfiguration(connectionString: cluster.url(cluster.owner, target), maxConnections: 1),
                logger: Logger(label: "chitieu-bench", factory: { _ in SwiftLogNoOpLogHandler() })))
            do {
                let start = ContinuousClock.now
                let archive = try TenantLines(file)
                let (copy, rows) = try await db.withTenant(archive.province) { tx in
                    var copy = 0.0, rows = 0
                    for table in TenantArchive.tables {
                        guard let lines = archive.rows[table], !lines.isEmpty else { continue }
                        let staging = "floor_" + table, name = FloorSQL.table(table)
                        try await tx.query(PostgresQuery(unsafeSQL: "CREATE TEMP TABLE \(staging) (row jsonb) ON COMMIT DROP"))
                        copy += try await Figures.time {
                            _ = try await tx.connection.copyFrom("COPY \(staging) (row) FROM STDIN") { w in
                                for l in lines { try w.appendRow([String(decoding: l, as: UTF8.self)]) }
                            }
                        }
                        let columns = try await FloorSQL.columns(table, tx.connection).map(PostgresQuery.quoteIdentifier)
                        rows += try await tx.query(PostgresQuery(unsafeSQL: """
                            INSERT INTO \(name) (\(columns.joined(separator: ", "))) OVERRIDING SYSTEM VALUE
                            SELECT \(columns.map { "r." + $0 }.joined(separator: ", ")) FROM \(staging) s CROSS JOIN LATERAL jsonb_populate_record(NULL::\(name), s.row) r
                            """)).affectedRows
                    }
                    return (copy, rows)
                }
                let seconds = (ContinuousClock.now - start).seconds
                await db.pool.shutdown()
                guard rows == archive.count else { throw BenchFailure("the floor wrote \(rows) rows of the file's \(archive.count)") }
                return (seconds, copy, rows)
            } catch {
                await db.pool.shutdown()
                throw error
            }
        }
    }
}

/// A tenant file's lines split by table, unparsed: each line's `row` object as UTF-8 bytes.
struct TenantLines {
    var province: Int64
    var rows: [String: [Data]] = [:]
    var count: Int { rows.values.reduce(0) { $0 + $1.count } }

    init(_ file: URL) throws {
        let lines = try Data(contentsOf: file).split(separator: 10)
        guard let first = lines.first,
            let header = try JSONSerialization.jsonObject(with: first) as? [String: Any],
            let id = ((header["province"] as? [String: Any])?["province_id"] as? NSNumber)?.int64Value
        else { throw BenchFailure("\(file.path) has no header naming its province") }
        province = id
        // {"table":"<name>","row":<row>}
        let prefix = Data("{\"table\":\"".utf8), between = Data("\",\"row\":".utf8)
        for line in lines.dropFirst() where line.starts(with: prefix) {
            let name = line.index(line.startIndex, offsetBy: prefix.count)
            guard let end = line[name...].firstIndex(of: 34), line[end...].starts(with: between) else { continue }
            rows[String(decoding: line[name..<end], as: UTF8.self), default: []].append(line[(end + between.count)..<(line.endIndex - 1)])
        }
    }
}

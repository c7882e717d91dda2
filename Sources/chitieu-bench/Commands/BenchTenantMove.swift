import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench tenant-move`: a province moved between databases, and the data's size.
    struct TenantMoveBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "tenant-move",
            abstract: "A province moved and the data's size: `chitieu tenant export` and `tenant import`, timed, then Deploy/bench/sizes.sql.",
            discussion: """
                On what `allocate` and `progress` left: exports the province with the most results, imports it into
                an empty database made for it (and dropped afterwards), then prints the rows and bytes per table and
                per province, projected to 2030 (sizes.sql, through psql as the superuser).
                """)

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The database `allocate` and `progress` filled.") var database = "chitieu_bench"
        @Option(help: "The psql program.") var psql = "psql"
        @Option(help: "The directory of sizes.sql (default: Deploy/bench of the checkout).") var scripts: String?

        func perform() async throws {
            let data = NationalData(cluster: cluster, database: database, clients: 0)
            guard let code = try await data.strings("""
                SELECT p.code AS v FROM chitieu.result r JOIN chitieu.province p USING (province_id)
                GROUP BY p.code ORDER BY count(*) DESC LIMIT 1
                """).first
            else { throw BenchFailure("no results in \(database): run `allocate` and `progress` first") }
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("chitieu-tenant-\(UUID().uuidString.prefix(8)).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            let target = "chitieu_bench_import"
            try await cluster.recreate(target, owner: cluster.owner)
            let chitieu = try Programs.chitieu().path
            let into = ["--database-url", cluster.url(cluster.owner, target)]
            try Programs.output(chitieu, ["db", "migrate"] + into)
            let start = ContinuousClock.now
            try Programs.output(chitieu, ["tenant", "export", "--province", code, "--out", file.path, "--database-url", cluster.url(cluster.owner, database)])
            let exported = ContinuousClock.now
            try Programs.output(chitieu, ["tenant", "import", "--file", file.path] + into)
            let imported = ContinuousClock.now
            let bytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.doubleValue ?? 0
            print("province \(code): tenant export \(String(format: "%.1f", (exported - start).seconds)) s (\(String(format: "%.0f", bytes / 1e6)) MB), "
                + "tenant import into an empty database \(String(format: "%.1f", (imported - exported).seconds)) s")
            try await cluster.drop(target)
            let sizes = try Programs.scripts(scripts).appendingPathComponent("sizes.sql").path
            print(try Programs.output(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", sizes, cluster.url(cluster.superuser, database)]), terminator: "")
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench web`: the officers' dashboard page at national scale, beside the JSON route
    /// that reads the same figures.
    struct WebBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "web",
            abstract: "The officers' dashboard (/tong-quan) under load (wrk) at national scale, beside GET /v1/progress.",
            discussion: """
                On `api`'s data set (prepared, or brought up to date and reused with --reuse): signs in a provincial
                officer of the largest province, starts `chitieu serve` (job workers off) and drives with wrk
                (Deploy/bench/get.lua) the dashboard of the province and of its largest district, then the JSON route
                reading the same figures. For each: requests/s with 32 connections, p50/p99 at half that rate
                (16 connections), and the weight of one answer as served (no compression).
                """)

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The scratch database (shared with `api`).") var database = "chitieu_bench_api"
        @Option(help: "Seconds per run.") var seconds = 15
        @Option(help: "The daemon's HTTP port.") var httpPort = 8181
        @Option(help: "The wrk program.") var wrk = "wrk"
        @Option(help: "The directory of get.lua (default: Deploy/bench of the checkout).") var scripts: String?
        @Flag(help: "Keep the scratch database afterwards (for --reuse).") var keep = false
        @Flag(help: "Run on the database kept by an earlier run instead of preparing it.") var reuse = false

        static let username = "bench.web.tinh"
        static let password = "bench-web-2026"

        func validate() throws {
            _ = try ClusterOptions.identifier(database)
            if seconds < 1 { throw ValidationError("--seconds must be 1 or more") }
        }

        func perform() async throws {
            let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("chitieu-bench-web-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let data = NationalData(cluster: cluster, database: database, clients: 32)
            if reuse, try await data.isKept() { try await data.refresh() } else { try await data.prepare() }
            let (province, district) = try await largest(data)
            try signInAccount(province)
            try await cluster.asSuperuser(database) { try await $0.executeScript("DELETE FROM chitieu.login_throttle; CHECKPOINT") }

            let log = work.appendingPathComponent("serve.log")
            let daemon = try Programs.start(try Programs.chitieu(), [
                "serve", "--port", String(httpPort), "--workers", "0", "--pool-size", "8", "--database-url", cluster.url(cluster.appRole, database),
            ], log: log)
            defer { Programs.stop(daemon) }
            try await APIBench.waitReady(daemon, port: httpPort, log: log)
            let url = "http://127.0.0.1:\(httpPort)"
            let token = try signIn(url)
            let cookie = "Cookie: chitieu_session=\(token)", bearer = "Authorization: Bearer \(token)"
            let load = Load(wrk: wrk, scripts: try Programs.scripts(scripts), url: url, seconds: seconds, work: work)
            print("chitieu bench-web — province \(province) (the largest), district \(district.code), \(seconds) s per run, 32 connections; half load: 16")
            print("".rightPadded(58) + " " + "rate".leftPadded(9) + "   " + "p50 (half)".rightPadded(13) + " " + "p99 (half)".rightPadded(13) + " " + "weight".leftPadded(10))
            let runs = [
                ("page /tong-quan, the province (whole phase)", "/tong-quan?phase=2021-2025", cookie),
                ("page /tong-quan, its largest district", "/tong-quan?phase=2021-2025&unit=\(district.id)", cookie),
                ("JSON GET /v1/progress, the province, depth 1", "/v1/progress?phase=2021-2025&depth=1", bearer),
                ("JSON GET /v1/progress, the district, depth 1", "/v1/progress?phase=2021-2025&depth=1&unit_id=\(district.id)", bearer),
            ]
            for (name, path, header) in runs { print(try measure(load, name: name, path: path, header: header)) }
            if keep {
                Output.note("keeping the database \(database) (--keep; --reuse runs on it again)")
            } else {
                Programs.stop(daemon)
                try await cluster.drop(database)
            }
        }

        /// The province with the most communes, and its district with the most communes.
        func largest(_ data: NationalData) async throws -> (province: String, district: (code: String, id: String)) {
            guard let province = try await data.strings("""
                SELECT p.code AS v FROM chitieu.province p JOIN chitieu.admin_unit u ON u.province_id = p.province_id AND u.level = 'commune'
                GROUP BY p.code ORDER BY count(*) DESC, p.code LIMIT 1
                """).first,
                let district = try await data.strings("""
                SELECT d.code || ' ' || d.unit_id AS v FROM chitieu.admin_unit d
                JOIN chitieu.province p ON p.province_id = d.province_id AND p.code = '\(province)'
                JOIN chitieu.admin_unit c ON c.province_id = d.province_id AND c.parent_id = d.unit_id
                WHERE d.level = 'district' GROUP BY d.code, d.unit_id ORDER BY count(*) DESC, d.code LIMIT 1
                """).first?.split(separator: " ")
            else { throw BenchFailure("no province with communes in \(database)") }
            return (province, (String(district[0]), String(district[1])))
        }

        /// The province's officer the runs sign in as, made once.
        func signInAccount(_ province: String) throws {
            let chitieu = try Programs.chitieu().path
            let owner = ["--database-url", cluster.url(cluster.owner, database)]
            if try Programs.capture(chitieu, ["account", "show", "--province", province, Self.username] + owner).status == 0 { return }
            let input = Pipe()
            let create = Process()
            create.executableURL = URL(fileURLWithPath: chitieu)
            create.arguments = ["account", "create", "--province", province, "--username", Self.username, "--name", "Cán bộ tỉnh (bench)", "--password-stdin"] + owner
            create.standardInput = input
            create.standardOutput = FileHandle.nullDevice
            try Programs.launch(create)
            input.fileHandleForWriting.write(Data((Self.password + "\n").utf8))
            try input.fileHandleForWriting.close()
            create.waitUntilExit()
            guard create.terminationStatus == 0 else { throw BenchFailure("chitieu account create \(Self.username) failed") }
            try Programs.output(chitieu, ["grant", "add", "--province", province, "--account", Self.username, "--role", "province"] + owner)
        }

        /// A session token for the officer, from POST /v1/sessions.
        func signIn(_ url: String) throws -> String {
            let body = #"{"username": "\#(Self.username)", "password": "\#(Self.password)"}"#
            let answer = try Programs.output("curl", ["-fs", "-X", "POST", url + "/v1/sessions", "-H", "Content-Type: application/json", "-d", body])
            guard let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], let token = object["token"] as? String else {
                throw BenchFailure("could not sign in as \(Self.username)")
            }
            return token
        }

        /// One path: a warm-up, the rate with 32 connections, p50/p99 at half of it, the weight of one answer.
        func measure(_ load: Load, name: String, path: String, header: String) throws -> String {
            let environment = ["BENCH_PATH": path, "BENCH_HEADER": header]
            _ = try load.run("get.lua", nil, seconds: 3, environment: environment)
            let full = try load.run("get.lua", nil, environment: environment)
            let rate = Load.rate(full)
            let half = try load.run("get.lua", nil, connections: 16, delayMilliseconds: 16 * 1000 * 2 / max(rate, 1), environment: environment)
            let latency = Load.latency(half)
            let size = try Programs.output("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", "-H", header, load.url + path])
            let non2xx = [full, half].map { Load.non2xx($0) }.reduce(0, +)
            return name.rightPadded(58) + " " + String(rate).leftPadded(7) + " /s   p50 " + latency.p50.rightPadded(9) + " p99 " + latency.p99.rightPadded(9)
                + String(format: " %7.1f KB", (Double(size) ?? 0) / 1024) + "  (non-2xx \(non2xx))"
        }
    }
}

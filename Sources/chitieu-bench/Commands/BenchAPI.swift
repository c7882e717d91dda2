import ArgumentParser
import ChitieuCommandSupport
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench api`: the HTTP API under load at national scale, beside pgbench running the
    /// same SQL as a submission, and the ratios.
    struct APIBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "api",
            abstract: "The HTTP API under load (wrk) at national scale, beside pgbench running the same SQL as a submission.",
            discussion: """
                Makes a scratch database with 63 provinces' units and targets (`allocate`), phase I's approved results
                (`chitieu result generate`, six per unit and year) and commune officers with tokens (`chitieu token
                issue`); starts `chitieu serve` (the `chitieu` beside this executable, job workers off) and drives it
                with wrk (Deploy/bench/submit.lua, read.lua). Prints submissions/s and progress reads/s at full load
                (reads also from a second daemon with --figures-cache-seconds 0), p50/p99 latency at half of each
                rate, the daemon's peak memory, and pgbench running the submission's statements
                (Deploy/bench/submission.sql), its writes alone and its own TPC-B-like transaction, for the ratios.
                """)

        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The scratch database.") var database = "chitieu_bench_api"
        @Option(help: "Commune officers, one per province, and as many of one province.") var clients = 32
        @Option(help: "Seconds per run.") var seconds = 15
        @Option(help: "The daemon's HTTP port.") var httpPort = 8181
        @Option(help: "The pgbench program.") var pgbench = "pgbench"
        @Option(help: "The wrk program.") var wrk = "wrk"
        @Option(help: "The directory of submit.lua, read.lua and submission.sql (default: Deploy/bench of the checkout).") var scripts: String?
        @Flag(help: "Keep the scratch database afterwards (for --reuse).") var keep = false
        @Flag(help: "Run on the database kept by an earlier run instead of preparing it.") var reuse = false
        @Flag(help: "Prepare the database (or bring a kept one up to date with --reuse), keep it and stop: the data set of other load runs.") var prepareOnly = false

        func validate() throws {
            _ = try ClusterOptions.identifier(database)
            if clients < 1 || seconds < 1 { throw ValidationError("--clients and --seconds must be 1 or more") }
        }

        func perform() async throws {
            let directory = try Programs.scripts(scripts)
            let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("chitieu-bench-api-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let data = NationalData(cluster: cluster, database: database, clients: clients)
            if reuse, try await data.isKept() {
                Output.note("reusing the database \(database) of an earlier run (--reuse)")
                try await data.refresh()
            } else {
                try await data.prepare()
            }
            if prepareOnly {
                Output.note("the database \(database) is ready and kept (--prepare-only)")
                return
            }
            let files = try await data.writeOfficers(into: work)
            let results = try await data.count("SELECT count(*) AS n FROM chitieu.result")
            // The preparation's writes flushed first: the runs measure the API, not a checkpoint of the load.
            try await cluster.asSuperuser(database) { try await $0.executeScript("CHECKPOINT") }

            let load = Load(wrk: wrk, scripts: directory, url: "http://127.0.0.1:\(httpPort)", seconds: seconds, work: work)
            let api = try await measureAPI(load, files: files)
            let floors = try await measureFloors(directory: directory, work: work, files: files)
            let written = try await data.count("SELECT count(*) AS n FROM chitieu.result") - results
            report(api: api, floors: floors, results: results, written: written)
            if keep {
                Output.note("keeping the database \(database) (--keep; --reuse runs on it again)")
            } else {
                try await cluster.drop(database)
            }
        }

        /// The API's figures: rates at full load, latency at half of them, the daemon's peak memory.
        struct APIFigures {
            var submit = 0, same = 0, read = 0, uncached = 0
            var submitHalf = (p50: "", p99: ""), readHalf = (p50: "", p99: "")
            var peakMB = 0.0
            var non2xx = 0
        }

        /// Two daemons in turn: one keeping answers in memory (submissions, reads, half rates), one not (reads).
        func measureAPI(_ load: Load, files: OfficerFiles) async throws -> APIFigures {
            var figures = APIFigures()
            let chitieu = try Programs.chitieu()
            let serve = ["serve", "--port", String(httpPort), "--workers", "0", "--pool-size", "8", "--database-url", cluster.url(cluster.appRole, database)]
            var daemon = try Programs.start(chitieu, serve, log: load.work.appendingPathComponent("serve.log"))
            try await waitReady(daemon, log: load.work.appendingPathComponent("serve.log"))
            _ = try load.run("read.lua", files.tokens, seconds: 3)  // warm-up
            var outputs = [try load.run("submit.lua", files.clients)]
            // The same by officers of one province reporting one indicator: their changes join one progress job.
            outputs.append(try load.run("submit.lua", files.same))
            outputs.append(try load.run("read.lua", files.tokens))
            figures.submit = Load.rate(outputs[0])
            figures.same = Load.rate(outputs[1])
            figures.read = Load.rate(outputs[2])
            // Half of each rate: 16 connections, each pausing so that together they send rate/2.
            outputs.append(try load.run("submit.lua", files.clients, connections: 16, delayMilliseconds: 16 * 1000 * 2 / max(figures.submit, 1)))
            outputs.append(try load.run("read.lua", files.tokens, connections: 16, delayMilliseconds: 16 * 1000 * 2 / max(figures.read, 1)))
            figures.submitHalf = Load.latency(outputs[3])
            figures.readHalf = Load.latency(outputs[4])
            figures.peakMB = Self.peakMemoryMB(daemon)
            Programs.stop(daemon)
            // The same reads with no answer kept in memory: every one from the database.
            daemon = try Programs.start(chitieu, serve + ["--figures-cache-seconds", "0"], log: load.work.appendingPathComponent("serve-uncached.log"))
            try await waitReady(daemon, log: load.work.appendingPathComponent("serve-uncached.log"))
            _ = try load.run("read.lua", files.tokens, seconds: 3)
            outputs.append(try load.run("read.lua", files.tokens))
            Programs.stop(daemon)
            figures.uncached = Load.rate(outputs[5])
            figures.non2xx = outputs.map(Load.non2xx).reduce(0, +)
            return figures
        }

        /// pgbench's figures: the submission's statements (both sets of officers), its writes alone, TPC-B.
        struct Floors {
            var submission = 0, same = 0, writes = 0, tpcb = 0
        }

        /// The reference: the submission's SQL through pgbench, 32 clients, for both sets of officers;
        /// the floors: its writes alone (its script without the first round trip's reads) and
        /// pgbench's own TPC-B-like transaction (scale 32, in a scratch database): what this
        /// machine's PostgreSQL does with no daemon at all.
        func measureFloors(directory: URL, work: URL, files: OfficerFiles) async throws -> Floors {
            let submission = try String(contentsOf: directory.appendingPathComponent("submission.sql"), encoding: .utf8)
            let same = work.appendingPathComponent("submission-same.sql")
            try submission.replacingOccurrences(of: "FROM bench_client WHERE", with: "FROM bench_same WHERE").write(to: same, atomically: true, encoding: .utf8)
            let writes = work.appendingPathComponent("submission-writes.sql")
            try Self.writesAlone(submission).write(to: writes, atomically: true, encoding: .utf8)
            let app = cluster.url(cluster.appRole, database)
            var floors = Floors()
            floors.submission = try tps(app, ["-D", "clients=\(files.clientCount)", "-f", directory.appendingPathComponent("submission.sql").path])
            floors.same = try tps(app, ["-D", "clients=\(files.sameCount)", "-f", same.path])
            floors.writes = try tps(app, ["-D", "clients=\(files.clientCount)", "-f", writes.path])
            let tpcb = "chitieu_bench_tpcb"
            try await cluster.recreate(tpcb)
            try Programs.output(pgbench, ["-i", "-q", "-s", "32", cluster.url(cluster.superuser, tpcb)])
            floors.tpcb = try tps(cluster.url(cluster.superuser, tpcb), [])
            try await cluster.drop(tpcb)
            return floors
        }

        /// pgbench with 32 clients, 2 threads, prepared statements, for --seconds: its tps. A run
        /// that has not ended a minute after its time is stopped, and the benchmark fails.
        func tps(_ url: String, _ arguments: [String]) throws -> Int {
            let output = try Programs.output(
                pgbench, ["-n", "-M", "prepared", "-c", "32", "-j", "2", "-T", String(seconds)] + arguments + [url], timeout: .seconds(seconds + 60))
            return Programs.field(output, after: "tps = ").flatMap(Double.init).map { Int($0) } ?? 0
        }

        /// `submission.sql` without the first round trip's reads: BEGIN, the province, then the
        /// second pipeline as it is.
        static func writesAlone(_ script: String) -> String {
            var out: [Substring] = []
            var stage = 0  // 0 before the first pipeline, 1 inside it, 2 after it
            for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
                switch stage {
                case 0 where line.hasPrefix("\\startpipeline"):
                    out += [line, "BEGIN ISOLATION LEVEL READ COMMITTED;", "SELECT chitieu.use_province(:p);"]
                    stage = 1
                case 1:
                    if line.hasPrefix("\\endpipeline") { stage = 2 }
                case 2 where line.hasPrefix("\\startpipeline"):
                    continue
                default:
                    out.append(line)
                }
            }
            return out.joined(separator: "\n")
        }

        /// Waits up to ten seconds for the daemon to be ready; fails with the end of its log.
        func waitReady(_ daemon: Process, log: URL) async throws {
            try await Self.waitReady(daemon, port: httpPort, log: log)
        }

        /// Waits up to ten seconds for the daemon on `port` to be ready; fails with the end of its log.
        static func waitReady(_ daemon: Process, port: Int, log: URL) async throws {
            for _ in 0..<100 {
                if try Programs.capture("curl", ["-fs", "http://127.0.0.1:\(port)/ready"]).status == 0 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Programs.stop(daemon)
            let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5).joined(separator: "\n")
            throw BenchFailure("chitieu serve on port \(port) did not become ready: \(tail)")
        }

        /// The process's peak resident memory (VmHWM), in MB.
        static func peakMemoryMB(_ process: Process) -> Double {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            return (Programs.field(status, after: "VmHWM:").flatMap(Double.init) ?? 0) / 1024
        }

        func report(api: APIFigures, floors: Floors, results: Int, written: Int) {
            func line(_ what: String, _ figure: Int, _ unit: String = "/s") -> String {
                what.rightPadded(66) + " " + String(figure).leftPadded(8) + " " + unit
            }
            func ratio(_ a: Int, _ b: Int) -> String { String(format: "%.2f", b > 0 ? Double(a) / Double(b) : 0) }
            print("chitieu bench-api — 63 provinces, \(results) results before the run, \(clients) commune officers, \(seconds) s per run")
            print(line("result submissions (POST /v1/results, submitted), 32 connections", api.submit))
            print(line("  the same by 32 officers of one province, one indicator", api.same))
            print(line("progress reads (GET /v1/progress, a commune, 2024), every one from the database, 32 conn.", api.uncached))
            print(line("  the same with answers kept in memory (each officer asks again for the same)", api.read))
            print("submissions at half that rate: p50 \(api.submitHalf.p50)  p99 \(api.submitHalf.p99)")
            print("reads at half that rate:       p50 \(api.readHalf.p50)  p99 \(api.readHalf.p99)")
            print("daemon peak memory (VmHWM)".rightPadded(66) + " " + String(format: "%8.1f MB", api.peakMB))
            print(line("pgbench, the submission SQL, 32 clients", floors.submission) + "   (API / pgbench \(ratio(api.submit, floors.submission)))")
            print(line("  the same, 32 officers of one province, one indicator", floors.same) + "   (API / pgbench \(ratio(api.same, floors.same)))")
            print(line("pgbench, the submission writes alone (no read, one round trip)", floors.writes))
            print(line("pgbench, its own TPC-B-like transaction (scale 32), 32 clients", floors.tpcb))
            print("results written by the runs \(written); answers other than 2xx \(api.non2xx)")
        }
    }

    /// wrk against the daemon: a script of Deploy/bench, a file of officers, connections and pace.
    struct Load {
        var wrk: String
        var scripts: URL
        var url: String
        var seconds: Int
        var work: URL

        /// One run (2 threads) of a script, given a file (after `--`) and its environment; wrk's output.
        func run(
            _ script: String, _ file: URL?, connections: Int = 32, seconds: Int? = nil, delayMilliseconds: Int? = nil, environment: [String: String] = [:]
        ) throws -> String {
            var arguments = ["-t2", "-c\(connections)", "-d\(seconds ?? self.seconds)s"]
            if delayMilliseconds != nil { arguments.append("--latency") }
            arguments += ["-s", scripts.appendingPathComponent(script).path, url]
            if let file { arguments += ["--", file.path] }
            var environment = environment
            if let delayMilliseconds { environment["BENCH_DELAY_MS"] = String(delayMilliseconds) }
            return try Programs.output(wrk, arguments, environment: environment)
        }

        /// Answers other than 2xx in wrk's output.
        static func non2xx(_ output: String) -> Int {
            Int(Programs.figure(output.split(separator: "\n").first { $0.contains("Non-2xx") }.map(String.init) ?? "", fromEnd: 0) ?? 0)
        }

        /// Requests a second in wrk's output.
        static func rate(_ output: String) -> Int { Programs.field(output, after: "Requests/sec:").flatMap(Double.init).map { Int($0) } ?? 0 }

        /// The median and 99th percentile latency in wrk's `--latency` output.
        static func latency(_ output: String) -> (p50: String, p99: String) {
            (Programs.field(output, after: "50%") ?? "", Programs.field(output, after: "99%") ?? "")
        }
    }
}

extension String {
    /// The string with spaces before it up to `width` characters.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }

    /// The string with spaces after it up to `width` characters.
    func rightPadded(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

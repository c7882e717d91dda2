import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// DESIGN.md: every tenant query names `province_id` (that is what routes it to one shard under
/// Citus; row-level security alone would send it to every shard). With statement logging on for
/// one database, a representative workload runs through the commands and the HTTP API, and every statement it
/// sent that names a tenant table or a reporting view must name province_id too. The check reads
/// text, not a parse tree: a statement joining two tenant tables passes when it names province_id
/// once; statements inside SQL functions (chitieu.compute_progress) are not logged.
@Suite("Every statement on a tenant table names its province")
struct TenantStatementTests {
    /// The statements a server log holds from `offset` on (log_statement = 'all'): simple-protocol
    /// `statement:` entries and extended-protocol `execute …:` entries, continuation lines joined.
    static func loggedStatements(_ log: String) -> [String] {
        let entryStart = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] ([A-Z]+):  (.*)$/
        var entries: [(level: String, text: String)] = []
        for line in log.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.wholeMatch(of: entryStart) {
                entries.append((String(match.output.1), String(match.output.2)))
            } else if line.hasPrefix("\t"), !entries.isEmpty {
                entries[entries.count - 1].text += "\n" + line.dropFirst()
            }
        }
        return entries.compactMap { entry in
            guard entry.level == "LOG" else { return nil }
            if entry.text.hasPrefix("statement: ") { return String(entry.text.dropFirst("statement: ".count)) }
            if entry.text.hasPrefix("execute "), let colon = entry.text.firstIndex(of: ":") {
                return String(entry.text[entry.text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
    }

    /// The tenant tables and reporting views a statement names.
    static func tenantRelations(in statement: String, tenantTables: Set<String>) -> [String] {
        statement.matches(of: /\b(chitieu|reporting)\.([a-z_]+)\b/).compactMap { match in
            let schema = String(match.output.1)
            let name = String(match.output.2)
            if schema == "reporting" { return "reporting.\(name)" }
            return tenantTables.contains(name) ? "chitieu.\(name)" : nil
        }
    }

    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["CHITIEU_TEST_DATABASE_URL"] == nil, "reads the server log of the suite's own cluster"))
    func aRepresentativeWorkloadNamesProvinceIDInEveryTenantStatement() async throws {
        let db = try await TestDatabase.make()
        let logFile = try #require(db.cluster.logFile)
        let owner = db.ownerPool()
        let tenants = Set(try await distributedTables(owner))
        await owner.shutdown()
        let su = try await db.superuserConnection()
        try await su.executeScript("ALTER DATABASE \(db.name) SET log_statement = 'all'")
        await su.close()
        let offset = try FileManager.default.attributesOfItem(atPath: logFile)[.size] as? UInt64 ?? 0

        let root = try TestDatabase.repositoryRoot()
        let env = [
            "CHITIEU_ADMIN_DATABASE_URL": db.ownerConnectionString, "CHITIEU_DATABASE_URL": db.appConnectionString,
            "CHITIEU_SQL_DIR": root.appendingPathComponent("SQL").path,
        ]
        func run(_ args: [String], input: String? = nil) async throws {
            let result = try await ChitieuCommand.run(args, environment: env, input: input)
            #expect(result.status == 0, "chitieu \(args.joined(separator: " ")): \(result.error)")
        }
        let csv = NSTemporaryDirectory() + "/chitieu-statements-\(UUID().uuidString).csv"
        defer { unlink(csv) }
        let reporter = "bc_\(UUID().uuidString.prefix(8).lowercased())"
        let officer = "canbo.\(UUID().uuidString.prefix(8).lowercased())"
        try await run(["units", "import", "--file", root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path, "--province", "10"])
        try await run(["tenant", "list"])
        try await run(["units", "tree", "--province", "10", "--depth", "1"])
        try await run(["indicator", "import", "--province", "10", "--file", root.appendingPathComponent("Deploy/catalogue/project8-indicators.csv").path])
        try await run(["indicator", "list", "--province", "10"])
        try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--value", "424"])
        try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--value", "85"])
        try await run(["allocation", "rule", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--minimum", "1"])
        try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--wait"])
        try await run(["target", "show", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--depth", "2"])
        try await run(["result", "generate", "--province", "10", "--phase", "2021-2025", "--completion", "DA8-01=1,DA8-02=0.5"])
        try await run(["result", "list", "--province", "10", "--year", "2024"])
        try await run(["progress", "compute", "--province", "10"])
        try await run(["progress", "show", "--province", "10", "--phase", "2021-2025", "--depth", "1"])
        try await run(["progress", "summary", "--province", "10"])
        try await run(["deadline", "set", "--province", "10", "--year", "2026", "--closes-on", "2027-01-31"])
        try await run(["export", "progress", "--province", "10", "--phase", "2021-2025", "--format", "csv", "--out", csv])
        try await run(["account", "create", "--province", "10", "--username", officer, "--name", "Lò Thị Hoà", "--unit", "082", "--password-stdin"],
                      input: "mật khẩu của cán bộ huyện\n")
        try await run(["grant", "add", "--province", "10", "--account", officer, "--role", "district", "--unit", "082"])
        try await run(["result", "add", "--province", "10", "--indicator", "DA8-01", "--unit", "02686", "--from", "2026-01-01", "--to", "2026-03-31",
                       "--value", "3", "--submit", "--as", officer])
        let commune = "xa.\(UUID().uuidString.prefix(8).lowercased())"
        try await run(["account", "create", "--province", "10", "--username", commune, "--name", "Lò Văn Páo", "--unit", "02686", "--password-stdin"],
                      input: "mật khẩu của cán bộ xã\n")
        try await run(["grant", "add", "--province", "10", "--account", commune, "--role", "commune", "--unit", "02686"])
        try await Self.apiWorkload(db, district: officer, commune: commune)
        try await Self.workerWorkload(db)
        try await run(["token", "issue", "--province", "10", "--account", officer, "--name", "Bảng tính huyện"])
        try await run(["token", "list", "--province", "10"])
        try await run(["account", "list", "--province", "10"])
        try await run(["account", "disable", "--province", "10", officer])
        try await run(["audit", "list", "--province", "10", "--limit", "20"])
        try await run(["reporting", "login", "create", "--province", "10", "--login", reporter], input: "mật khẩu báo cáo 2026\n")
        try await run(["reporting", "login", "list"])
        try await run(["reporting", "login", "drop", reporter])
        try await run(["jobs", "list"])
        try await run(["tenant", "export", "--province", "10", "--out", csv + ".jsonl"])
        unlink(csv + ".jsonl")
        // The control: a statement that relies on row-level security alone, which the check must catch.
        let control = "SELECT count(*) FROM chitieu.indicator WHERE status = 'active'"
        let psql = try await ExternalProgram.run(try ExternalProgram.psql(), ["-X", "-q", "-d", db.appConnectionString, "-c", control])
        #expect(psql.status == 0, "\(psql.error)")

        let handle = try #require(FileHandle(forReadingAtPath: logFile))
        try handle.seek(toOffset: offset)
        let log = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try handle.close()
        let statements = Self.loggedStatements(log)
        let onTenants = statements.filter { !Self.tenantRelations(in: $0, tenantTables: tenants).isEmpty }
        #expect(onTenants.count > 50, "the workload's statements were not logged (\(statements.count) statements)")
        let unrouted = onTenants.filter { !$0.contains("province_id") }
        #expect(unrouted == [control], "statements on tenant tables without province_id:\n\(unrouted.joined(separator: "\n---\n"))")
    }

    /// Officers at work over HTTP: log in, read their scope, report, approve, read progress and the audit log, log out.
    static func apiWorkload(_ db: TestDatabase, district: String, commune: String) async throws {
        let pool = db.appPool(maxConnections: 4)
        let app = ChitieuApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0), database: ChitieuDatabase(pool: pool),
            migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: TestDatabase.logger)
        try await app.test(.live) { client in
            func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: [String: Any]? = nil, headers: HTTPFields = [:])
                async throws -> [String: Any]
            {
                var fields = headers
                if let token { fields[.authorization] = "Bearer \(token)" }
                if json != nil { fields[.contentType] = "application/json" }
                let body = try json.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
                let response = try await client.execute(uri: uri, method: method, headers: fields, body: body)
                #expect(response.status.code < 500, "\(method) \(uri): \(response.status)")
                return (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]) ?? [:]
            }
            _ = try await call(.post, "/v1/sessions", json: ["username": commune, "password": "not the password"])
            let xa = try #require(try await call(.post, "/v1/sessions", json: ["username": commune, "password": "mật khẩu của cán bộ xã"])["token"] as? String)
            let huyen = try #require(try await call(.post, "/v1/sessions", json: ["username": district, "password": "mật khẩu của cán bộ huyện"])["token"] as? String)
            _ = try await call(.get, "/v1/sessions/current", token: xa)
            let unit = try #require((try await call(.get, "/v1/units", token: xa)["items"] as? [[String: Any]])?.first?["id"] as? Int)
            let top = try #require((try await call(.get, "/v1/units", token: huyen)["items"] as? [[String: Any]])?.first?["id"] as? Int)
            _ = try await call(.get, "/v1/units/\(top)/children", token: huyen)
            let indicators = try #require(try await call(.get, "/v1/indicators", token: xa)["items"] as? [[String: Any]])
            let teams = try #require(indicators.first { $0["code"] as? String == "DA8-01" }?["id"] as? Int)
            _ = try await call(.get, "/v1/indicators/\(teams)", token: xa)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "xa-2026-q2-DA8-01"]
            let report: [String: Any] = [
                "indicator_id": teams, "unit_id": unit, "period_start": "2026-04-01", "period_end": "2026-06-30", "value": 4, "companion_value": 36,
                "evidence_note": "Biên bản họp tổ", "submit": true,
            ]
            let result = try #require(try await call(.post, "/v1/results", token: xa, json: report, headers: key)["id"] as? String)
            _ = try await call(.post, "/v1/results", token: xa, json: report, headers: key)
            _ = try await call(.get, "/v1/results?year=2026", token: huyen)
            _ = try await call(.get, "/v1/results/\(result)", token: huyen)
            let approved = try await call(.post, "/v1/results/\(result)/approve", token: huyen, json: ["version": 1])
            #expect(approved["state"] as? String == "approved", "\(approved)")
            _ = try await call(.get, "/v1/progress?phase=2021-2025&depth=1", token: huyen)
            _ = try await call(.get, "/v1/progress/summary", token: huyen)
            _ = try await call(.get, "/v1/accounts", token: huyen)
            _ = try await call(.get, "/v1/audit?limit=20", token: huyen)
            _ = try await call(.delete, "/v1/sessions/current", token: xa)
        }
        await pool.shutdown()
    }

    /// A `chitieu work` process runs what the workload enqueued and the nightly jobs, then stops.
    static func workerWorkload(_ db: TestDatabase) async throws {
        let owner = db.ownerPool()
        try await owner.query(
            """
            INSERT INTO chitieu.job (kind, args) VALUES ('progress.all', '{}'), ('tokens.prune', '{"retention_days": 30}'),
                                                        ('jobs.prune', '{"retention_days": 14}')
            """)
        let worker = try ChitieuCommand.startWorker(databaseURL: db.appConnectionString)
        _ = try await eventually(every: .milliseconds(100)) {
            try await owner.query("SELECT count(*) AS n FROM chitieu.job WHERE state IN ('pending', 'running') AND run_at <= now()")[0]
                .decode(Int.self, "n") == 0
        }
        worker.terminate()
        await worker.exited()
        let left = try await owner.query(
            """
            SELECT count(*) FILTER (WHERE state = 'succeeded') AS done,
                   string_agg(kind || ' ' || state || coalesce(' ' || last_error, ''), '; ') FILTER (WHERE state <> 'succeeded') AS other
            FROM chitieu.job
            """)[0]
        #expect(try left.decode(Int.self, "done") >= 4, "the worker ran too few jobs")
        let unfinished = try left.decode(String?.self, "other")
        #expect(unfinished == nil, "jobs not done: \(unfinished ?? "")")
        await owner.shutdown()
    }

    @Test func theLogReaderFindsStatementsAndTheTablesTheyName() {
        let log = """
            2026-11-29 07:00:00.123 UTC [42] LOG:  statement: SELECT 1
            2026-11-29 07:00:00.124 UTC [42] LOG:  execute <unnamed>: SELECT name FROM chitieu.admin_unit
            \tWHERE code = $1
            2026-11-29 07:00:00.124 UTC [42] DETAIL:  parameters: $1 = '082'
            2026-11-29 07:00:00.125 UTC [43] ERROR:  relation "x" does not exist
            2026-11-29 07:00:00.125 UTC [43] STATEMENT:  SELECT * FROM chitieu.result
            2026-11-29 07:00:00.126 UTC [42] LOG:  execute s3: SELECT * FROM reporting.progress_yearly WHERE province_id = $1
            """
        let statements = Self.loggedStatements(log)
        #expect(statements == ["SELECT 1", "SELECT name FROM chitieu.admin_unit\nWHERE code = $1", "SELECT * FROM reporting.progress_yearly WHERE province_id = $1"])
        #expect(Self.tenantRelations(in: statements[1], tenantTables: ["admin_unit"]) == ["chitieu.admin_unit"])
        #expect(Self.tenantRelations(in: "SELECT chitieu.use_province($1); SELECT * FROM chitieu.job", tenantTables: ["admin_unit"]).isEmpty)
        #expect(Self.tenantRelations(in: statements[2], tenantTables: []) == ["reporting.progress_yearly"])
    }
}

import ChitieuCommandSupport
import Foundation
import Postgres

/// The national data set of `chitieu-bench api` in a scratch database: 63 provinces' units and
/// targets, phase I's approved results, and commune officers with tokens in two tables the
/// load scripts read, `public.bench_client` (one officer in each of the first provinces, a row
/// for each indicator communes report) and `public.bench_same` (as many officers of the first
/// province, all reporting its first such indicator).
struct NationalData {
    var cluster: ClusterOptions
    var database: String
    var clients: Int

    /// The officers' tables, and which indicators a row is made for.
    static let officerTables = [(table: "bench_client", prefix: "bench.xa", allIndicators: true), (table: "bench_same", prefix: "bench.tinh", allIndicators: false)]

    var ownerURL: String { cluster.url(cluster.owner, database) }

    /// Whether an earlier run kept the database with its officers.
    func isKept() async throws -> Bool {
        let name = database
        let exists = try await cluster.asSuperuser { connection in
            try await connection.query("SELECT count(*) AS n FROM pg_database WHERE datname = \(name)")[0].decode(Int.self, "n") == 1
        }
        guard exists else { return false }
        guard try await count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'bench_client'") == 1 else { return false }
        return try await count("SELECT count(token) AS n FROM public.bench_client") > 0
    }

    /// A kept database brought up to date: migrations, and the one-province officers if an earlier
    /// version of the benchmark did not make them.
    func refresh() async throws {
        try Programs.output(try Programs.chitieu().path, ["db", "migrate", "--database-url", ownerURL])
        let kept = try await count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'bench_same'") == 1
        if !kept { try await makeOfficers(Self.officerTables[1]) }
        guard try await count("SELECT count(DISTINCT token) AS n FROM public.bench_same") == clients else {
            throw BenchFailure("the kept database \(database) lacks some of its one-province officers (an interrupted run?); run once without --reuse")
        }
    }

    /// The data set made afresh.
    func prepare() async throws {
        Output.note("creating a fresh database \(database)")
        try await cluster.recreate(database, owner: cluster.owner)
        let chitieu = try Programs.chitieu().path
        try Programs.output(chitieu, ["db", "migrate", "--database-url", ownerURL])
        try Programs.output(Programs.bench.path, ["allocate", "--database-url", ownerURL])
        Output.note("generating phase I's approved results and completion, province by province")
        for code in try await strings("SELECT code AS v FROM chitieu.province ORDER BY code") {
            try Programs.output(chitieu, ["result", "generate", "--province", code, "--phase", "2021-2025", "--per-year", "6", "--database-url", ownerURL])
        }
        try await cluster.asSuperuser(database) { connection in
            try await connection.executeScript("""
                INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on)
                SELECT province_id, 2025, '2099-01-25' FROM chitieu.province
                ON CONFLICT (province_id, year) DO UPDATE SET closes_on = excluded.closes_on
                """)
            // A statement of its own: a script of several statements runs as one transaction.
            try await connection.executeScript("VACUUM ANALYZE")
        }
        for officers in Self.officerTables { try await makeOfficers(officers) }
    }

    /// Commune officers with tokens in `public.<table>` (n, province, commune, indicator, account,
    /// token digest, token), usernames `<prefix>.<n>`.
    func makeOfficers(_ officers: (table: String, prefix: String, allIndicators: Bool)) async throws {
        Output.note("creating \(clients) commune officers and their tokens (\(officers.table))")
        let table = "public." + officers.table
        let communes = try await cluster.asSuperuser(database) { connection in
            try await connection.executeScript("""
                DROP TABLE IF EXISTS \(table);
                CREATE TABLE \(table) (n int PRIMARY KEY, province_id bigint, unit_id bigint, indicator_id bigint, account_id uuid, token_hash bytea, token text, phase_id bigint);
                GRANT SELECT ON \(table) TO \(try ClusterOptions.identifier(cluster.appRole))
                """)
            let query: PostgresQuery = officers.allIndicators
                ? """
                  SELECT DISTINCT ON (p.code) p.code AS province, u.code AS commune FROM chitieu.province p
                  JOIN chitieu.admin_unit u ON u.province_id = p.province_id AND u.level = 'commune'
                  ORDER BY p.code, u.code LIMIT \(clients)
                  """
                : """
                  SELECT p.code AS province, u.code AS commune FROM chitieu.province p
                  JOIN chitieu.admin_unit u ON u.province_id = p.province_id AND u.level = 'commune'
                  WHERE p.code = (SELECT min(code) FROM chitieu.province)
                  ORDER BY u.code LIMIT \(clients)
                  """
            let rows = try await connection.query(query)
            return try rows.map { (try $0.decode(String.self, "province"), try $0.decode(String.self, "commune")) }
        }
        let chitieu = try Programs.chitieu().path
        let database = ["--database-url", ownerURL]
        for (n, (province, commune)) in communes.enumerated() {
            let username = "\(officers.prefix).\(n + 1)"
            try Programs.output(chitieu, ["account", "create", "--province", province, "--username", username, "--name", "Cán bộ xã \(n + 1)", "--unit", commune] + database)
            try Programs.output(chitieu, ["grant", "add", "--province", province, "--account", username, "--role", "commune", "--unit", commune] + database)
            let issued = try Programs.output(chitieu, ["token", "issue", "--province", province, "--account", username, "--expires", "12h", "--json"] + database)
            guard let object = try? JSONSerialization.jsonObject(with: Data(issued.utf8)) as? [String: Any], let token = object["token"] as? String else {
                throw BenchFailure("token issue for \(username) printed no token")
            }
            let limit = officers.allIndicators ? Int.max : 1
            try await cluster.asSuperuser(self.database) { connection in
                _ = try await connection.execute("""
                    INSERT INTO public.\(identifier: officers.table) (n, province_id, unit_id, indicator_id, account_id, token_hash, token, phase_id)
                    SELECT (SELECT coalesce(max(n), 0) FROM public.\(identifier: officers.table)) + row_number() OVER (ORDER BY i.indicator_id),
                           t.province_id, u.unit_id, i.indicator_id, t.account_id, t.token_hash, \(token),
                           (SELECT phase_id FROM chitieu.phase ph WHERE ph.province_id = t.province_id AND ph.first_year <= 2025 AND ph.last_year >= 2025)
                    FROM chitieu.api_token t
                    JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.code = \(commune) AND u.level = 'commune'
                    CROSS JOIN LATERAL (SELECT i.indicator_id FROM chitieu.indicator i WHERE i.province_id = t.province_id AND i.status = 'active'
                                          AND 'commune' = ANY(i.reporting_levels) ORDER BY i.code LIMIT \(limit)) i
                    WHERE t.token_hash = sha256(convert_to(\(token), 'UTF8'))
                    """)
            }
        }
    }

    /// The officers as the load scripts read them ("token unit indicator" a line) and pgbench counts them.
    func writeOfficers(into work: URL) async throws -> OfficerFiles {
        // The phase of 2025 for pgbench (which cannot read it under row-level security before BEGIN),
        // also in tables kept by an earlier version of the benchmark.
        for officers in Self.officerTables {
            let table = "public." + officers.table
            try await cluster.asSuperuser(database) { connection in
                try await connection.executeScript("""
                    ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS phase_id bigint;
                    UPDATE \(table) c SET phase_id = (SELECT phase_id FROM chitieu.phase ph
                        WHERE ph.province_id = c.province_id AND ph.first_year <= 2025 AND ph.last_year >= 2025)
                    """)
            }
        }
        func lines(_ table: String) async throws -> [String] {
            try await strings("SELECT token || ' ' || unit_id || ' ' || indicator_id AS v FROM public.\(table) ORDER BY n")
        }
        let clients = try await lines("bench_client"), same = try await lines("bench_same")
        var seen = Set<String>()
        let tokens = clients.compactMap { line in line.split(separator: " ").first.map(String.init) }.filter { seen.insert($0).inserted }
        let files = OfficerFiles(work: work, clientCount: clients.count, sameCount: same.count)
        for (file, lines) in [(files.clients, clients), (files.same, same), (files.tokens, tokens)] {
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        }
        return files
    }

    /// A count read as the superuser from the scratch database (column `n`).
    func count(_ sql: String) async throws -> Int {
        try await cluster.asSuperuser(database) { connection in try await connection.query(PostgresQuery(unsafeSQL: sql))[0].decode(Int.self, "n") }
    }

    /// A column of text read as the superuser from the scratch database (column `v`).
    func strings(_ sql: String) async throws -> [String] {
        try await cluster.asSuperuser(database) { connection in try await connection.query(PostgresQuery(unsafeSQL: sql)).map { try $0.decode(String.self, "v") } }
    }
}

/// The files of officers the load scripts read: every officer and indicator, the one-province
/// officers, every officer's token once.
struct OfficerFiles {
    var work: URL
    var clientCount: Int
    var sameCount: Int
    var clients: URL { work.appendingPathComponent("clients") }
    var same: URL { work.appendingPathComponent("same") }
    var tokens: URL { work.appendingPathComponent("tokens") }
}

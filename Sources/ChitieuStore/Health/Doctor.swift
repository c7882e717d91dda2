public import Foundation
public import Logging
public import Postgres

/// The outcome of one check of `Doctor`.
public struct DoctorCheck: Sendable, Equatable {
    /// How a check came out.
    public enum Status: String, Sendable {
        /// As it should be.
        case ok
        /// Works, but wants an operator's look.
        case warn
        /// Broken: the deployment is not safe or not working.
        case fail
    }

    /// Short stable name, e.g. `row_level_security`.
    public var name: String
    /// ok, warn or fail.
    public var status: Status
    /// What was found, naming the table, role, job or figure, and what to do.
    public var detail: String

    /// Creates a check's outcome.
    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// Checks a deployment the way an operator would before trusting it: the database answers,
/// its migrations are current, only its own roles may connect, row-level security is enabled
/// and forced on every tenant table, the daemon's role cannot bypass it, on a Citus coordinator
/// the tables are distributed as Deploy/citus/ says, the job queue moves, and this machine's
/// clock agrees with the database's.
public struct Doctor: Sendable {
    /// Thresholds of the checks, in seconds.
    public struct Configuration: Sendable {
        /// A due job waiting longer than this warns (default 5 minutes).
        public var pendingWarnAfter: Double = 300
        /// A due job waiting longer than this fails (default 1 hour).
        public var pendingFailAfter: Double = 3600
        /// A running job whose lease expired longer ago than this fails (default 5 minutes);
        /// a more recent expiry warns (a live worker rescues it within seconds).
        public var leaseFailAfter: Double = 300
        /// A clock difference above this warns (default 1 s).
        public var clockWarnAbove: Double = 1
        /// A clock difference above this fails (default 30 s).
        public var clockFailAbove: Double = 30

        /// The documented defaults.
        public init() {}
    }

    /// The names of the checks, in the order they run.
    public static let checkNames = [
        "database", "migrations", "database_access", "reporting_access", "row_level_security", "roles", "citus", "jobs_pending", "jobs_failed", "jobs_leases", "clock",
    ]

    let pool: PostgresPool
    let migrations: Result<MigrationSet, any Error>
    let configuration: Configuration
    let clock: @Sendable () -> Date
    let logger: Logger

    /// A doctor for the database behind `pool` (connected as the daemon connects), with the
    /// migration files this binary ships (or the error that kept them from being read).
    /// `clock` is this machine's clock.
    public init(
        pool: PostgresPool, migrations: Result<MigrationSet, any Error>, configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.pool = pool
        self.migrations = migrations
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Runs every check; a check that cannot run fails with the reason.
    public func run() async -> [DoctorCheck] {
        let database: DoctorCheck
        do {
            database = try await pool.withConnection { try await Self.checkDatabase($0) }
        } catch {
            let reason = "the database cannot be reached: \(error)"
            return [DoctorCheck(name: "database", status: .fail, detail: reason)]
                + Self.checkNames.dropFirst().map { DoctorCheck(name: $0, status: .fail, detail: "not checked: the database cannot be reached") }
        }
        var checks = [database]
        let steps: [(String, @Sendable (PostgresConnection) async throws -> DoctorCheck)] = [
            ("migrations", { [migrations, logger] in try await Self.checkMigrations($0, migrations, logger: logger) }),
            ("database_access", { try await Self.checkDatabaseAccess($0) }),
            ("reporting_access", { try await Self.checkReportingAccess($0) }),
            ("row_level_security", { try await Self.checkRowLevelSecurity($0) }),
            ("roles", { try await Self.checkRoles($0) }),
            ("citus", { try await Self.checkCitus($0) }),
            ("jobs_pending", { [configuration] in try await Self.checkPendingJobs($0, configuration) }),
            ("jobs_failed", { try await Self.checkFailedJobs($0) }),
            ("jobs_leases", { [configuration] in try await Self.checkLeases($0, configuration) }),
            ("clock", { [configuration, clock] in try await Self.checkClock($0, configuration, clock) }),
        ]
        for (name, step) in steps {
            do {
                checks.append(try await pool.withConnection { try await step($0) })
            } catch {
                logger.debug("A check could not run.", metadata: ["check.name": "\(name)", "error": "\(error)"])
                checks.append(DoctorCheck(name: name, status: .fail, detail: "could not check: \(error)"))
            }
        }
        return checks
    }

    static func checkDatabase(_ c: PostgresConnection) async throws -> DoctorCheck {
        let row = try await c.query(
            """
            SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS number,
                   current_database() AS db, current_user AS role
            """)[0]
        let version = try row.decode(String.self, "version")
        let text = "PostgreSQL \(version), database \(try row.decode(String.self, "db")) as \(try row.decode(String.self, "role"))"
        if try row.decode(Int.self, "number") < 150000 {
            return DoctorCheck(name: "database", status: .fail, detail: "\(text): chitieu needs PostgreSQL 15 or later")
        }
        return DoctorCheck(name: "database", status: .ok, detail: text)
    }

    static func checkMigrations(_ c: PostgresConnection, _ set: Result<MigrationSet, any Error>, logger: Logger) async throws -> DoctorCheck {
        let files: MigrationSet
        switch set {
        case .success(let value): files = value
        case .failure(let error): return DoctorCheck(name: "migrations", status: .fail, detail: "the migration files cannot be read: \(error)")
        }
        let statuses = try await Migrator(set: files, logger: logger).status(on: c)
        func names(_ state: MigrationStatus.State) -> [String] {
            statuses.filter { $0.state == state }.map { String(format: "%04d", $0.version) + "_" + $0.name }
        }
        var problems: [String] = []
        if !names(.pending).isEmpty { problems.append("pending \(names(.pending).joined(separator: ", ")): run `chitieu db migrate`") }
        if !names(.changed).isEmpty { problems.append("changed since applied \(names(.changed).joined(separator: ", ")): restore the files") }
        if !names(.unknown).isEmpty {
            problems.append("unknown to this binary \(names(.unknown).joined(separator: ", ")): the database is newer; install a newer chitieu")
        }
        if problems.isEmpty {
            return DoctorCheck(name: "migrations", status: .ok, detail: "\(statuses.count) migrations applied, none pending")
        }
        return DoctorCheck(name: "migrations", status: .fail, detail: problems.joined(separator: "; "))
    }

    static func checkDatabaseAccess(_ c: PostgresConnection) async throws -> DoctorCheck {
        let row = try await c.query(
            """
            SELECT current_database() AS db, has_database_privilege('public', current_database(), 'CONNECT') AS public_connect
            """)[0]
        let name = try row.decode(String.self, "db")
        if try row.decode(Bool.self, "public_connect") {
            return DoctorCheck(
                name: "database_access", status: .fail,
                detail: "PUBLIC may connect to database \(name), so reporting logins of other databases of the cluster may too: "
                    + "REVOKE CONNECT, TEMPORARY ON DATABASE \(name) FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE \(name) TO chitieu_app")
        }
        return DoctorCheck(name: "database_access", status: .ok, detail: "only granted roles may connect to \(name)")
    }

    /// The reporting logins of this database (those granted CONNECT on it) that may also connect
    /// to another database of the cluster: `postgres` and `template1` let `PUBLIC` in unless the
    /// deployment revoked it.
    static func checkReportingAccess(_ c: PostgresConnection) async throws -> DoctorCheck {
        let rows = try await c.query(
            """
            SELECT r.rolname::text AS login, array_agg(d.datname::text ORDER BY d.datname) AS databases
            FROM pg_roles r
            JOIN pg_auth_members m ON m.member = r.oid
            JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'chitieu_reporting'
            JOIN pg_database d ON d.datname <> current_database() AND d.datallowconn AND has_database_privilege(r.oid, d.oid, 'CONNECT')
            WHERE r.rolcanlogin
              AND EXISTS (SELECT 1 FROM pg_database own, aclexplode(own.datacl) a
                          WHERE own.datname = current_database() AND a.grantee = r.oid AND a.privilege_type = 'CONNECT')
            GROUP BY r.rolname
            ORDER BY r.rolname
            """)
        guard !rows.isEmpty else {
            return DoctorCheck(name: "reporting_access", status: .ok, detail: "no reporting login may connect to another database of the cluster")
        }
        var logins: [String] = []
        var databases: Set<String> = []
        for row in rows {
            let reachable = try row.decode([String].self, "databases")
            logins.append("\(try row.decode(String.self, "login")) (\(reachable.joined(separator: ", ")))")
            databases.formUnion(reachable)
        }
        let names = databases.sorted().joined(separator: ", ")
        return DoctorCheck(
            name: "reporting_access", status: .warn,
            detail: "reporting logins may connect to other databases of the cluster: \(logins.joined(separator: "; ")); "
                + "as a superuser: REVOKE CONNECT, TEMPORARY ON DATABASE \(names) FROM PUBLIC (and from each login granted CONNECT there)")
    }

    static func checkRowLevelSecurity(_ c: PostgresConnection) async throws -> DoctorCheck {
        let rows = try await c.query(
            """
            SELECT c.relname AS tbl, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p')
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'province_id' AND NOT a.attisdropped)
              AND c.relname <> ALL (\(SchemaScope.sharedTables)::text[])
            ORDER BY c.relname
            """)
        guard !rows.isEmpty else {
            return DoctorCheck(name: "row_level_security", status: .fail, detail: "no tenant table in schema chitieu: is this a migrated chitieu database?")
        }
        var problems: [String] = []
        for row in rows {
            let table = "chitieu.\(try row.decode(String.self, "tbl"))"
            if !(try row.decode(Bool.self, "enabled")) {
                problems.append("\(table): not enabled")
            } else if !(try row.decode(Bool.self, "forced")) {
                problems.append("\(table): not forced")
            }
            if !(try row.decode(Bool.self, "has_policy")) { problems.append("\(table): no policy") }
        }
        if problems.isEmpty {
            return DoctorCheck(name: "row_level_security", status: .ok, detail: "enabled and forced on all \(rows.count) tenant tables")
        }
        return DoctorCheck(
            name: "row_level_security", status: .fail,
            detail: "row-level security is off where it must be on: \(problems.joined(separator: ", ")); "
                + "as the owner: ALTER TABLE … ENABLE ROW LEVEL SECURITY, ALTER TABLE … FORCE ROW LEVEL SECURITY")
    }

    static func checkRoles(_ c: PostgresConnection) async throws -> DoctorCheck {
        let rows = try await c.query(
            """
            SELECT r.rolname AS name, r.rolname = current_user AS connected, r.rolsuper AS super, r.rolbypassrls AS bypass,
                   (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p') AND c.relowner = r.oid) AS owned
            FROM pg_roles r WHERE r.rolname IN (current_user, 'chitieu_app')
            ORDER BY r.rolname = current_user DESC
            """)
        var problems: [String] = []
        if !(try rows.contains { try $0.decode(String.self, "name") == "chitieu_app" }) {
            problems.append("the role chitieu_app does not exist")
        }
        for row in rows {
            let name = try row.decode(String.self, "name")
            let label = try row.decode(Bool.self, "connected") ? "\(name) (the role connected)" : name
            if try row.decode(Bool.self, "super") { problems.append("\(label) is a superuser") }
            if try row.decode(Bool.self, "bypass") { problems.append("\(label) has BYPASSRLS") }
            if let owned = try row.decode(String?.self, "owned") { problems.append("\(label) owns \(owned)") }
        }
        let names = try rows.map { try $0.decode(String.self, "name") }.joined(separator: ", ")
        if problems.isEmpty {
            return DoctorCheck(name: "roles", status: .ok, detail: "\(names): no superuser, no BYPASSRLS, own no table")
        }
        return DoctorCheck(
            name: "roles", status: .fail,
            detail: "row-level security does not bind the daemon: \(problems.joined(separator: "; ")); connect as chitieu_app, "
                + "ALTER ROLE … NOSUPERUSER NOBYPASSRLS, and leave the tables to the owner")
    }

    /// On a Citus coordinator (the `citus` extension installed): every tenant table distributed
    /// by province_id and co-located with admin_unit, the tenant catalogue and the username
    /// directory reference tables, the other shared tables left on the coordinator, workers in
    /// the cluster, and citus.propagate_set_commands = 'local' for the daemon's role and the
    /// owner (else row-level security reads no province on the workers). Without Citus: ok.
    static func checkCitus(_ c: PostgresConnection) async throws -> DoctorCheck {
        guard try await c.query(ChitieuDatabase.isCitus)[0].decode(Bool.self, "citus") else {
            return DoctorCheck(name: "citus", status: .ok, detail: "one server: the citus extension is not installed")
        }
        let tables = try await c.query(
            """
            SELECT c.relname::text AS tbl,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'province_id' AND NOT a.attisdropped) AS tenant,
                   t.citus_table_type::text AS kind, t.distribution_column::text AS column, t.colocation_id AS colocation
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN citus_tables t ON t.table_name = c.oid::regclass
            WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p')
            ORDER BY c.relname
            """)
        var problems: [String] = []
        var distributed = 0
        let colocation = try tables.first { try $0.decode(String.self, "tbl") == "admin_unit" }?.decode(Int?.self, "colocation")
        for row in tables {
            let table = try row.decode(String.self, "tbl")
            let kind = try row.decode(String?.self, "kind")
            let column = try row.decode(String?.self, "column")
            let tableColocation = try row.decode(Int?.self, "colocation")
            if table == SchemaScope.catalogue || table == "login_name" {
                if kind != "reference" { problems.append("chitieu.\(table) is \(kind.map { "a \($0) table" } ?? "not a Citus table"), not a reference table") }
            } else if try row.decode(Bool.self, "tenant") && !SchemaScope.sharedTables.contains(table) {
                if kind != "distributed" || column != "province_id" {
                    problems.append("chitieu.\(table) is not distributed by province_id")
                } else if tableColocation != colocation {
                    problems.append("chitieu.\(table) is not co-located with chitieu.admin_unit")
                } else {
                    distributed += 1
                }
            } else if kind == "distributed" || kind == "reference" {
                problems.append("chitieu.\(table) is a \(kind!) table; it stays on the coordinator")
            }
        }
        let workers = try await c.query(
            "SELECT count(*) FROM pg_dist_node WHERE isactive AND noderole = 'primary' AND shouldhaveshards AND groupid <> 0"
        )[0].decode(Int.self, at: 0)
        if workers == 0 { problems.append("no worker holds shards: SELECT citus_add_node(…) as in Deploy/citus/README.md") }
        let settings = try await c.query(
            """
            SELECT r.rolname::text AS role,
                   EXISTS (SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) AS setting
                           WHERE s.setrole = r.oid AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
                             AND setting = 'citus.propagate_set_commands=local') AS set
            FROM pg_roles r
            WHERE r.rolname = 'chitieu_app' OR r.oid = (SELECT relowner FROM pg_class WHERE oid = 'chitieu.province'::regclass)
            ORDER BY 1
            """)
        for row in settings where !(try row.decode(Bool.self, "set")) {
            problems.append("\(try row.decode(String.self, "role")) lacks citus.propagate_set_commands = 'local'")
        }
        if problems.isEmpty {
            return DoctorCheck(
                name: "citus", status: .ok,
                detail: "Citus: \(distributed) tenant tables distributed by province_id and co-located, province and login_name reference tables, "
                    + "\(workers) worker(s), citus.propagate_set_commands = 'local' for \(try settings.map { try $0.decode(String.self, "role") }.joined(separator: " and "))")
        }
        return DoctorCheck(
            name: "citus", status: .fail,
            detail: "the Citus cluster is not distributed as Deploy/citus/README.md says: \(problems.joined(separator: "; ")); "
                + "run Deploy/citus/distribute.sql as that README says")
    }

    static func checkPendingJobs(_ c: PostgresConnection, _ configuration: Configuration) async throws -> DoctorCheck {
        let row = try await c.query(
            """
            SELECT count(*) AS due, extract(epoch FROM now() - min(run_at))::float8 AS oldest
            FROM chitieu.job WHERE state = 'pending' AND run_at <= now()
            """)[0]
        let due = try row.decode(Int.self, "due")
        guard let oldest = try row.decode(Double?.self, "oldest") else {
            return DoctorCheck(name: "jobs_pending", status: .ok, detail: "no job waiting")
        }
        let text = "\(due) due job(s), the oldest waiting \(Self.duration(oldest))"
        if oldest > configuration.pendingFailAfter {
            return DoctorCheck(name: "jobs_pending", status: .fail, detail: "\(text): no worker takes them; start chitieu work or chitieu serve")
        }
        if oldest > configuration.pendingWarnAfter {
            return DoctorCheck(name: "jobs_pending", status: .warn, detail: "\(text): are the workers running and keeping up?")
        }
        return DoctorCheck(name: "jobs_pending", status: .ok, detail: text)
    }

    static func checkFailedJobs(_ c: PostgresConnection) async throws -> DoctorCheck {
        let row = try await c.query(
            """
            SELECT count(*) AS failed, string_agg(DISTINCT kind, ', ') AS kinds
            FROM chitieu.job WHERE state = 'failed' AND finished_at > now() - interval '24 hours'
            """)[0]
        let failed = try row.decode(Int.self, "failed")
        guard failed > 0 else { return DoctorCheck(name: "jobs_failed", status: .ok, detail: "no job failed in the last 24 hours") }
        return DoctorCheck(
            name: "jobs_failed", status: .warn,
            detail: "\(failed) job(s) failed in the last 24 hours (\(try row.decode(String?.self, "kinds") ?? "")): chitieu jobs list --state failed")
    }

    static func checkLeases(_ c: PostgresConnection, _ configuration: Configuration) async throws -> DoctorCheck {
        let row = try await c.query(
            """
            SELECT count(*) AS expired, extract(epoch FROM now() - min(lease_until))::float8 AS oldest,
                   string_agg(job_id::text || ' (' || kind || coalesce(', ' || worker, '') || ')', ', ' ORDER BY lease_until) AS jobs
            FROM chitieu.job WHERE state = 'running' AND lease_until < now()
            """)[0]
        guard let oldest = try row.decode(Double?.self, "oldest") else {
            return DoctorCheck(name: "jobs_leases", status: .ok, detail: "no running job with an expired lease")
        }
        let text = "\(try row.decode(Int.self, "expired")) running job(s) with an expired lease, the oldest expired \(Self.duration(oldest)) ago: "
            + (try row.decode(String?.self, "jobs") ?? "")
        if oldest > configuration.leaseFailAfter {
            return DoctorCheck(
                name: "jobs_leases", status: .fail, detail: "\(text); their worker died and no worker is rescuing them: start chitieu work or chitieu serve")
        }
        return DoctorCheck(name: "jobs_leases", status: .warn, detail: "\(text); a live worker runs them again shortly")
    }

    /// The database's clock against this machine's. The difference is known to within half the
    /// round trip (the database read its clock somewhere between the two local readings), so
    /// the round trip is measured three times and the shortest one kept, as NTP does; and a
    /// difference is judged by the least it can be, so a slow round trip (a loaded machine, a
    /// far database) is not taken for a wrong clock.
    static func checkClock(_ c: PostgresConnection, _ configuration: Configuration, _ clock: @Sendable () -> Date) async throws -> DoctorCheck {
        var best: (skew: Double, roundTrip: Double)?
        for _ in 0..<3 {
            let before = clock()
            let row = try await c.query("SELECT extract(epoch FROM clock_timestamp())::float8 AS now")[0]
            let after = clock()
            let local = (before.timeIntervalSince1970 + after.timeIntervalSince1970) / 2
            let sample = (skew: try row.decode(Double.self, "now") - local, roundTrip: after.timeIntervalSince(before))
            // A reading that went back in time (the clock was stepped meanwhile) measures nothing.
            if sample.roundTrip >= 0, best.map({ sample.roundTrip < $0.roundTrip }) ?? true { best = sample }
        }
        guard let (skew, roundTrip) = best else {
            return DoctorCheck(name: "clock", status: .warn, detail: "this machine's clock went back while it was compared with the database's: run the check again")
        }
        let least = max(0, abs(skew) - roundTrip / 2)
        let text = "the database's clock is " + String(format: "%.3f s ", abs(skew)) + (skew >= 0 ? "ahead of" : "behind")
            + " this machine's (± " + String(format: "%.0f ms", roundTrip / 2 * 1000) + ", half the round trip)"
        if least > configuration.clockFailAbove {
            return DoctorCheck(name: "clock", status: .fail, detail: "\(text): synchronise both with NTP (timedatectl, chrony)")
        }
        if least > configuration.clockWarnAbove {
            return DoctorCheck(name: "clock", status: .warn, detail: "\(text): synchronise both with NTP")
        }
        return DoctorCheck(name: "clock", status: .ok, detail: text)
    }

    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: String(format: "%.0f s", seconds)
        case ..<7200: String(format: "%.0f min", seconds / 60)
        default: String(format: "%.1f h", seconds / 3600)
        }
    }
}

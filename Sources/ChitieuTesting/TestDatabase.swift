import ChitieuStore
public import Foundation
public import Logging
public import Postgres

/// A fresh database for one suite or test, created from a migrated template, with pools
/// for the owner (migrations, imports) and for `chitieu_app` (the daemon's role).
public struct TestDatabase: Sendable {
    /// The database's name.
    public let name: String
    /// The cluster it lives in.
    public let cluster: TestCluster
    /// Connection string as the owner.
    public let ownerConnectionString: String
    /// Connection string as chitieu_app.
    public let appConnectionString: String

    /// A logger that stays quiet unless CHITIEU_TEST_LOG is set.
    public static let logger: Logger = {
        var logger = Logger(label: "chitieu.test")
        logger.logLevel = ProcessInfo.processInfo.environment["CHITIEU_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// The owner role of test databases.
    public static let ownerRole = "chitieu_owner"

    private static let template = Task<String, any Error> {
        try await migratedDatabase(on: try await TestCluster.shared(), prefix: "chitieu_template_")
    }

    /// Creates the roles if needed and a new database migrated from the SQL folder.
    static func migratedDatabase(on cluster: TestCluster, prefix: String) async throws -> String {
        let admin = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: cluster.superuserConnectionString), logger: logger)
        try await admin.executeScript(
            """
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chitieu_owner') THEN
                CREATE ROLE chitieu_owner LOGIN CREATEROLE;
              END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chitieu_app') THEN
                CREATE ROLE chitieu_app LOGIN;
              END IF;
            END $$;
            """)
        let name = "\(prefix)\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.executeScript("CREATE DATABASE \(name) OWNER chitieu_owner TEMPLATE template0 ENCODING 'UTF8'")
        await admin.close()
        let owner = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: cluster.connectionString(database: name, user: ownerRole)), logger: logger)
        let migrator = Migrator(set: try MigrationSet.load(from: sqlDirectory()), logger: logger)
        _ = try await migrator.migrate(on: owner)
        await owner.close()
        return name
    }

    /// The repository's SQL folder, found from this source file.
    public static func sqlDirectory() throws -> URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("SQL")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("migrations").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return try MigrationSet.locate()
    }

    /// The repository's root folder.
    public static func repositoryRoot() throws -> URL {
        try sqlDirectory().deletingLastPathComponent()
    }

    /// A migrated database on a private cluster (for tests that stop or restart the server).
    public static func make(on cluster: TestCluster) async throws -> TestDatabase {
        let name = try await migratedDatabase(on: cluster, prefix: "t_")
        return TestDatabase(
            name: name, cluster: cluster,
            ownerConnectionString: cluster.connectionString(database: name, user: ownerRole),
            appConnectionString: cluster.connectionString(database: name, user: "chitieu_app"))
    }

    /// A new database. Migrated (from a template migrated once per run) unless `migrated` is false.
    public static func make(migrated: Bool = true) async throws -> TestDatabase {
        let cluster = try await TestCluster.shared()
        let template = try await template.value
        let name = "t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        let admin = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: cluster.superuserConnectionString), logger: logger)
        defer { Task { await admin.close() } }
        let source = migrated ? template : "template0"
        try await admin.executeScript("CREATE DATABASE \(name) OWNER chitieu_owner TEMPLATE \(source) ENCODING 'UTF8'")
        if migrated {
            // A copy does not take its template's access list: give it the one migration 0007 sets.
            try await admin.executeScript(
                "REVOKE CONNECT, TEMPORARY ON DATABASE \(name) FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE \(name) TO chitieu_app")
        }
        return TestDatabase(
            name: name, cluster: cluster,
            ownerConnectionString: cluster.connectionString(database: name, user: ownerRole),
            appConnectionString: cluster.connectionString(database: name, user: "chitieu_app"))
    }

    /// A pool connected as the owner.
    public func ownerPool(maxConnections: Int = 4) -> PostgresPool {
        Self.pool(ownerConnectionString, maxConnections: maxConnections, acquireTimeout: .seconds(60))
    }

    /// A pool connected as chitieu_app.
    public func appPool(maxConnections: Int = 4) -> PostgresPool {
        Self.pool(appConnectionString, maxConnections: maxConnections, acquireTimeout: .seconds(60))
    }

    /// A pool over any connection string, logging to the tests' logger (the client's defaults otherwise).
    public static func pool(
        _ connectionString: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(5), statementTimeout: Duration? = nil
    ) -> PostgresPool {
        PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: connectionString, maxConnections: maxConnections, acquireTimeout: acquireTimeout, statementTimeout: statementTimeout),
            logger: logger)
    }

    /// A connection string for another role of this database.
    public func connectionString(user: String) -> String {
        cluster.connectionString(database: name, user: user)
    }

    /// A superuser connection to this database (for test setup only).
    public func superuserConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: cluster.connectionString(database: name, user: "postgres")), logger: Self.logger)
    }
}

extension PostgresConnection {
    /// How many sessions of this connection's database have run `LISTEN channel` and wait for
    /// notifications: a daemon's or a worker's listener that is up. Needs a superuser (the
    /// text of other roles' statements). It reads a session's last statement, so a listener on
    /// several channels counts on the last one it listens on.
    public func listeners(on channel: String) async throws -> Int {
        try await query(
            """
            SELECT count(*)::int FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle' AND query IN ('LISTEN ' || \(channel), 'LISTEN "' || \(channel) || '"')
            """)[0].decode(Int.self, at: 0)
    }
}

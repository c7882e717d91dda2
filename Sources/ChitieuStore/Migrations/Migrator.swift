public import Foundation
public import Logging
public import Postgres

/// Why migrating stopped.
public struct MigrationError: Error, CustomStringConvertible {
    /// What is wrong and what to do.
    public var description: String
}

/// The state of one migration in a database.
public struct MigrationStatus: Sendable {
    /// How a migration file stands against the database.
    public enum State: String, Sendable {
        case applied, pending, changed
        /// Recorded in the database, with no file: the database is newer than this program.
        case unknown
    }
    public var version: Int
    public var name: String
    public var state: State
    public var appliedAt: Date?
}

/// What a `migrate` run did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this run. Those the baseline replaced come first and carry no SQL of
    /// their own: the baseline's ran for them all.
    public var applied: [Migration] = []
    /// Whether this run created the schema from the baseline.
    public var baseline = false
    /// Re-runnable files applied by this run.
    public var repeatablesApplied: [String] = []
}

/// Applies migrations: each in its own transaction, under an advisory lock so that two
/// concurrent runs are safe (one waits, then finds nothing to do), recording version and
/// checksum; refuses when an applied migration's file has changed. On a new database the
/// baseline runs instead of the migrations it replaces, which are recorded as applied with the
/// names and checksums of their files, as on a database migrated step by step.
public struct Migrator: Sendable {
    /// The files.
    public let set: MigrationSet
    let logger: Logger
    /// The advisory lock key ('chitieu' in ASCII), held for the whole run.
    static let lockKey: Int64 = 0x6368_6974_6965_75

    /// Creates a migrator for a set of files.
    public init(set: MigrationSet, logger: Logger) {
        self.set = set
        self.logger = logger
    }

    static let bootstrap = """
        CREATE SCHEMA IF NOT EXISTS chitieu_migrations;
        COMMENT ON SCHEMA chitieu_migrations IS 'Bookkeeping of applied migrations and re-runnable files.';
        CREATE TABLE IF NOT EXISTS chitieu_migrations.applied (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS chitieu_migrations.repeatable (
            name       text PRIMARY KEY,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """

    /// SHA-256 (hex) of each text, computed by the server so no crypto library is needed.
    static func checksums(_ texts: [String], on connection: PostgresConnection) async throws -> [String] {
        guard !texts.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT encode(sha256(convert_to(t, 'UTF8')), 'hex') AS checksum
            FROM unnest(\(texts)::text[]) WITH ORDINALITY AS f(t, n) ORDER BY n
            """)
        return try rows.map { try $0.decode(String.self, "checksum") }
    }

    struct Applied {
        var checksum: String
        var name: String
        var appliedAt: Date
    }

    static func applied(on connection: PostgresConnection) async throws -> [Int: Applied] {
        let exists = try await connection.query("SELECT to_regclass('chitieu_migrations.applied') IS NOT NULL AS present")
        guard try exists[0].decode(Bool.self, "present") else { return [:] }
        var result: [Int: Applied] = [:]
        for row in try await connection.query("SELECT version, name, checksum, applied_at FROM chitieu_migrations.applied") {
            result[try row.decode(Int.self, "version")] = Applied(
                checksum: try row.decode(String.self, "checksum"), name: try row.decode(String.self, "name"),
                appliedAt: try row.decode(Date.self, "applied_at"))
        }
        return result
    }

    /// Every migration this program knows, with the checksum a database records for it: those
    /// the baseline replaces as listed beside it, then the numbered files.
    func expected(on connection: PostgresConnection) async throws -> [ReplacedMigration] {
        let sums = try await Self.checksums(set.migrations.map(\.sql), on: connection)
        let files = zip(set.migrations, sums).map { ReplacedMigration(version: $0.version, name: $0.name, checksum: $1) }
        return (set.baseline?.replaces ?? []) + files
    }

    /// The state of every migration, files and database together.
    public func status(on connection: PostgresConnection) async throws -> [MigrationStatus] {
        let applied = try await Self.applied(on: connection)
        let expected = try await expected(on: connection)
        var statuses: [MigrationStatus] = []
        for migration in expected {
            if let done = applied[migration.version] {
                statuses.append(
                    MigrationStatus(
                        version: migration.version, name: migration.name,
                        state: done.checksum == migration.checksum ? .applied : .changed, appliedAt: done.appliedAt))
            } else {
                statuses.append(MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil))
            }
        }
        let known = Set(expected.map(\.version))
        for (version, done) in applied where !known.contains(version) {
            statuses.append(MigrationStatus(version: version, name: done.name, state: .unknown, appliedAt: done.appliedAt))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// True when every migration is applied and unchanged.
    public func isCurrent(on connection: PostgresConnection) async throws -> Bool {
        try await isCurrent(on: connection, fileChecksums: fileChecksums(on: connection))
    }

    /// The SHA-256 of each migration file by version (for those the baseline replaces, the one
    /// listed beside it). Files do not change under a running process, so callers that check
    /// often (`/ready`) compute this once.
    public func fileChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        Dictionary(uniqueKeysWithValues: try await expected(on: connection).map { ($0.version, $0.checksum) })
    }

    /// True when the database has exactly these migrations applied, unchanged.
    public func isCurrent(on connection: PostgresConnection, fileChecksums: [Int: String]) async throws -> Bool {
        let applied = try await Self.applied(on: connection)
        return applied.count == fileChecksums.count && fileChecksums.allSatisfy { applied[$0.key]?.checksum == $0.value }
    }

    /// Applies what is pending. Connect as the owner of the database.
    public func migrate(on connection: PostgresConnection) async throws -> MigrationReport {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let report = try await migrateLocked(on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return report
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    private func migrateLocked(on connection: PostgresConnection) async throws -> MigrationReport {
        try await connection.executeScript(Self.bootstrap)
        var report = MigrationReport()
        let statuses = try await status(on: connection)
        if let changed = statuses.first(where: { $0.state == .changed }) {
            throw MigrationError(
                description: "migration \(changed.version)_\(changed.name) was applied on \(changed.appliedAt.map { "\($0)" } ?? "?") and its file has changed since; applied migrations are append-only: restore the file and put the change in a new migration")
        }
        if let unknown = statuses.first(where: { $0.state == .unknown }) {
            throw MigrationError(
                description: "the database has migration \(unknown.version)_\(unknown.name), which this program does not know: it is older than the database; run a newer chitieu")
        }
        let pending = Set(statuses.filter { $0.state == .pending }.map(\.version))
        if let baseline = set.baseline, try Self.baselineNeeded(baseline, statuses: statuses, pending: pending) {
            try await apply(baseline, on: connection)
            report.baseline = true
            report.applied = baseline.replaces.map { Migration(version: $0.version, name: $0.name, sql: "") }
        }
        for migration in set.migrations where pending.contains(migration.version) {
            let started = ContinuousClock.now
            let sum = try await Self.checksums([migration.sql], on: connection)[0]
            do {
                try await connection.withTransaction { tx in
                    try await tx.executeScript(migration.sql)
                    let ms = Int((ContinuousClock.now - started) / .milliseconds(1))
                    try await tx.query(
                        "INSERT INTO chitieu_migrations.applied (version, name, checksum, duration_ms) VALUES (\(migration.version), \(migration.name), \(sum), \(ms))")
                }
            } catch {
                throw MigrationError(description: "migration \(migration.version)_\(migration.name) failed and was rolled back: \(error)")
            }
            logger.info("Applied a migration.", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            report.applied.append(migration)
        }
        return try await applyRepeatables(on: connection, report: report)
    }

    /// True on a new database (none of the replaced migrations applied, nor any other); false
    /// when all of them are; a refusal when some are: the baseline cannot bring those up to date.
    static func baselineNeeded(_ baseline: Baseline, statuses: [MigrationStatus], pending: Set<Int>) throws -> Bool {
        let missing = baseline.replaces.filter { pending.contains($0.version) }
        if missing.isEmpty { return false }
        let applied = statuses.filter { $0.state == .applied }
        if applied.isEmpty { return true }
        let first = baseline.replaces[0], last = baseline.replaces[baseline.replaces.count - 1]
        func label(_ version: Int, _ name: String) -> String { String(format: "%04d", version) + "_" + name }
        throw MigrationError(
            description: "the database has applied \(applied.count) migrations but not \(missing.map { label($0.version, $0.name) }.joined(separator: ", ")), which this program no longer ships: it creates new databases from a baseline that replaces \(label(first.version, first.name)) to \(label(last.version, last.name)); upgrade the database with the previous release of chitieu first (its `chitieu db migrate` applies them), then run this one")
    }

    /// Runs the baseline and records each migration it replaces, in one transaction.
    func apply(_ baseline: Baseline, on connection: PostgresConnection) async throws {
        let started = ContinuousClock.now
        do {
            try await connection.withTransaction { tx in
                try await tx.executeScript(baseline.sql)
                // The whole run's time goes to the last version: the others took none of their own.
                let ms = Int((ContinuousClock.now - started) / .milliseconds(1))
                let entries = baseline.replaces
                let durations = entries.indices.map { $0 == entries.count - 1 ? ms : 0 }
                try await tx.query(
                    """
                    INSERT INTO chitieu_migrations.applied (version, name, checksum, duration_ms)
                    SELECT * FROM unnest(\(entries.map(\.version))::int[], \(entries.map(\.name))::text[],
                                         \(entries.map(\.checksum))::text[], \(durations)::int[])
                    """)
            }
        } catch {
            throw MigrationError(description: "the baseline failed and was rolled back: \(error)")
        }
        logger.info(
            "Created the schema from the baseline.",
            metadata: ["migration.version": "\(baseline.lastVersion)", "migration.replaced": "\(baseline.replaces.count)"])
    }

    private func applyRepeatables(on connection: PostgresConnection, report: MigrationReport) async throws -> MigrationReport {
        var report = report
        // Re-runnable files run again all together, in name order and in one transaction, when
        // one of them changed or a migration ran: a later file may use what an earlier one
        // defines (views call functions), and a function dropped to change its signature takes
        // the views that call it along, which their file then creates again.
        let sums = try await Self.checksums(set.repeatables.map(\.sql), on: connection)
        var recorded: [String: String] = [:]
        for row in try await connection.query("SELECT name, checksum FROM chitieu_migrations.repeatable") {
            recorded[try row.decode(String.self, "name")] = try row.decode(String.self, "checksum")
        }
        let scripts = Array(zip(set.repeatables, sums))
        guard !report.applied.isEmpty || scripts.contains(where: { recorded[$0.0.name] != $0.1 }) else { return report }
        try await connection.withTransaction { tx in
            for (script, sum) in scripts {
                do {
                    try await tx.executeScript(script.sql)
                } catch {
                    throw MigrationError(description: "re-runnable file \(script.name) failed and the re-runnable files were rolled back: \(error)")
                }
                try await tx.query(
                    """
                    INSERT INTO chitieu_migrations.repeatable (name, checksum) VALUES (\(script.name), \(sum))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                    """)
            }
        }
        for (script, _) in scripts {
            logger.info("Applied a re-runnable SQL file.", metadata: ["migration.file": "\(script.name)"])
            report.repeatablesApplied.append(script.name)
        }
        return report
    }
}

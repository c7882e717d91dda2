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
    /// Migrations applied by this run.
    public var applied: [Migration] = []
    /// Re-runnable files applied by this run.
    public var repeatablesApplied: [String] = []
}

/// Applies migrations: each in its own transaction, under an advisory lock so that two
/// concurrent runs are safe (one waits, then finds nothing to do), recording version and
/// checksum; refuses when an applied migration's file has changed.
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

    /// The state of every migration, files and database together.
    public func status(on connection: PostgresConnection) async throws -> [MigrationStatus] {
        let applied = try await Self.applied(on: connection)
        let sums = try await Self.checksums(set.migrations.map(\.sql), on: connection)
        var statuses: [MigrationStatus] = []
        for (migration, sum) in zip(set.migrations, sums) {
            if let done = applied[migration.version] {
                statuses.append(
                    MigrationStatus(
                        version: migration.version, name: migration.name, state: done.checksum == sum ? .applied : .changed,
                        appliedAt: done.appliedAt))
            } else {
                statuses.append(MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil))
            }
        }
        let known = Set(set.migrations.map(\.version))
        for (version, done) in applied where !known.contains(version) {
            statuses.append(MigrationStatus(version: version, name: done.name, state: .unknown, appliedAt: done.appliedAt))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// True when every migration is applied and unchanged.
    public func isCurrent(on connection: PostgresConnection) async throws -> Bool {
        try await isCurrent(on: connection, fileChecksums: fileChecksums(on: connection))
    }

    /// The SHA-256 of each migration file by version. Files do not change under a running
    /// process, so callers that check often (`/ready`) compute this once.
    public func fileChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        let sums = try await Self.checksums(set.migrations.map(\.sql), on: connection)
        return Dictionary(uniqueKeysWithValues: zip(set.migrations.map(\.version), sums))
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

public import Foundation

/// One numbered, append-only migration file (`SQL/migrations/0001_name.sql`).
public struct Migration: Sendable, Hashable {
    /// Its number.
    public var version: Int
    /// The name after the number.
    public var name: String
    /// The SQL text.
    public var sql: String

    /// Creates a migration from values.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// One re-runnable file (`SQL/repeatable/*.sql`: views, functions), applied after the migrations.
public struct RepeatableScript: Sendable, Hashable {
    /// The file name.
    public var name: String
    /// The SQL text.
    public var sql: String
}

/// A migration the baseline replaces: its version, and the name and checksum a database
/// migrated step by step recorded for it (`SQL/migrations/baseline.replaces`).
public struct ReplacedMigration: Sendable, Hashable {
    /// Its number.
    public var version: Int
    /// The name after the number.
    public var name: String
    /// SHA-256 (hex) of its file, as `Migrator` computed it when the file was applied.
    public var checksum: String
}

/// The schema of the first migrations in one file (`SQL/migrations/baseline.sql`): a new
/// database runs it instead of them and records each as applied; a database that applied them
/// skips it.
public struct Baseline: Sendable, Hashable {
    /// The SQL text.
    public var sql: String
    /// The migrations it replaces, by increasing version.
    public var replaces: [ReplacedMigration]

    /// Creates a baseline from values.
    public init(sql: String, replaces: [ReplacedMigration]) {
        self.sql = sql
        self.replaces = replaces.sorted { $0.version < $1.version }
    }

    /// The last version it replaces: numbered files come after it.
    public var lastVersion: Int { replaces.last?.version ?? 0 }

    /// Reads a `baseline.replaces` text: `NNNN name checksum` a line; `#` starts a comment.
    public static func parseReplaces(_ text: String) throws -> [ReplacedMigration] {
        var entries: [ReplacedMigration] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 3, let version = Int(fields[0]),
                fields[2].count == 64, fields[2].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else {
                throw SQLDirectoryError(
                    description: "baseline.replaces line \(index + 1) is not 'NNNN name checksum' (a version, a name, a SHA-256 in lower-case hex): \(line)")
            }
            guard version > (entries.last?.version ?? 0) else {
                throw SQLDirectoryError(description: "baseline.replaces line \(index + 1): versions must increase, \(version) does not")
            }
            entries.append(ReplacedMigration(version: version, name: fields[1], checksum: fields[2]))
        }
        return entries
    }
}

/// Why the SQL folder could not be read.
public struct SQLDirectoryError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// The migrations and re-runnable files of the `SQL/` folder.
public struct MigrationSet: Sendable {
    /// The first migrations in one file, when the folder has one.
    public var baseline: Baseline?
    /// Numbered migration files (after the baseline's versions) by increasing version.
    public var migrations: [Migration]
    /// Re-runnable files by name.
    public var repeatables: [RepeatableScript]

    /// Creates a set from values (tests).
    public init(migrations: [Migration], repeatables: [RepeatableScript], baseline: Baseline? = nil) {
        self.baseline = baseline
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.repeatables = repeatables.sorted { $0.name < $1.name }
    }

    /// How many migrations a current database has applied: those the baseline replaces and the files.
    public var versionCount: Int { (baseline?.replaces.count ?? 0) + migrations.count }

    /// The file names of the baseline in the migrations folder.
    static let baselineFile = "baseline.sql", replacesFile = "baseline.replaces"

    /// Reads `migrations/baseline.sql` with `migrations/baseline.replaces` (when there),
    /// `migrations/NNNN_name.sql` and `repeatable/*.sql` under a folder.
    public static func load(from directory: URL) throws -> MigrationSet {
        let fm = FileManager.default
        let migrationsDir = directory.appendingPathComponent("migrations")
        guard let names = try? fm.contentsOfDirectory(atPath: migrationsDir.path) else {
            throw SQLDirectoryError(description: "no migrations folder at \(migrationsDir.path)")
        }
        let baseline = try loadBaseline(migrationsDir, names: names)
        var migrations: [Migration] = []
        var versions: Set<Int> = []
        for file in names.sorted() where file.hasSuffix(".sql") && file != baselineFile {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw SQLDirectoryError(description: "migration file \(file) is not named NNNN_name.sql")
            }
            if let baseline, version <= baseline.lastVersion {
                throw SQLDirectoryError(
                    description: "migration file \(file) has a version the baseline replaces (up to \(String(format: "%04d", baseline.lastVersion))): delete it, or number it after")
            }
            guard versions.insert(version).inserted else {
                throw SQLDirectoryError(description: "two migration files have the version \(version)")
            }
            let sql = try String(contentsOf: migrationsDir.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        var repeatables: [RepeatableScript] = []
        let repeatableDir = directory.appendingPathComponent("repeatable")
        for file in ((try? fm.contentsOfDirectory(atPath: repeatableDir.path)) ?? []).sorted() where file.hasSuffix(".sql") {
            let sql = try String(contentsOf: repeatableDir.appendingPathComponent(file), encoding: .utf8)
            repeatables.append(RepeatableScript(name: file, sql: sql))
        }
        return MigrationSet(migrations: migrations, repeatables: repeatables, baseline: baseline)
    }

    /// The baseline and its list of replaced migrations: both files or neither.
    static func loadBaseline(_ migrationsDir: URL, names: [String]) throws -> Baseline? {
        switch (names.contains(baselineFile), names.contains(replacesFile)) {
        case (false, false):
            return nil
        case (true, true):
            let sql = try String(contentsOf: migrationsDir.appendingPathComponent(baselineFile), encoding: .utf8)
            let list = try String(contentsOf: migrationsDir.appendingPathComponent(replacesFile), encoding: .utf8)
            let replaces = try Baseline.parseReplaces(list)
            guard !replaces.isEmpty else { throw SQLDirectoryError(description: "\(replacesFile) lists no migration") }
            return Baseline(sql: sql, replaces: replaces)
        case (let hasSQL, _):
            throw SQLDirectoryError(
                description: "the migrations folder has \(hasSQL ? baselineFile : replacesFile) without \(hasSQL ? replacesFile : baselineFile): the baseline needs both")
        }
    }

    /// Finds the `SQL/` folder: `CHITIEU_SQL_DIR`, then `../share/chitieu/SQL` beside the
    /// executable (an installed release), then a `SQL/` folder in the executable's or the
    /// working directory's ancestors (a checkout).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        func isSQLDir(_ url: URL) -> Bool {
            fm.fileExists(atPath: url.appendingPathComponent("migrations").path)
        }
        if let explicit = environment["CHITIEU_SQL_DIR"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit)
            guard isSQLDir(url) else {
                throw SQLDirectoryError(description: "CHITIEU_SQL_DIR=\(explicit) has no migrations folder")
            }
            return url
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let bin = executable.deletingLastPathComponent()
        let installed = bin.deletingLastPathComponent().appendingPathComponent("share/chitieu/SQL")
        if isSQLDir(installed) { return installed }
        for start in [bin, URL(fileURLWithPath: fm.currentDirectoryPath)] {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("SQL")
                if isSQLDir(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw SQLDirectoryError(
            description: "cannot find the SQL folder; set CHITIEU_SQL_DIR to the folder that holds migrations/ and repeatable/")
    }
}

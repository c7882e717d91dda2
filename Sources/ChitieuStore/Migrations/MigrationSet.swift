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

/// Why the SQL folder could not be read.
public struct SQLDirectoryError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// The migrations and re-runnable files of the `SQL/` folder.
public struct MigrationSet: Sendable {
    /// Migrations by increasing version.
    public var migrations: [Migration]
    /// Re-runnable files by name.
    public var repeatables: [RepeatableScript]

    /// Creates a set from values (tests).
    public init(migrations: [Migration], repeatables: [RepeatableScript]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.repeatables = repeatables.sorted { $0.name < $1.name }
    }

    /// Reads `migrations/NNNN_name.sql` and `repeatable/*.sql` under a folder.
    public static func load(from directory: URL) throws -> MigrationSet {
        let fm = FileManager.default
        let migrationsDir = directory.appendingPathComponent("migrations")
        guard let names = try? fm.contentsOfDirectory(atPath: migrationsDir.path) else {
            throw SQLDirectoryError(description: "no migrations folder at \(migrationsDir.path)")
        }
        var migrations: [Migration] = []
        var versions: Set<Int> = []
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw SQLDirectoryError(description: "migration file \(file) is not named NNNN_name.sql")
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
        return MigrationSet(migrations: migrations, repeatables: repeatables)
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

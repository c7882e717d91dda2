import ArgumentParser
import ChitieuCommandSupport
import ChitieuStore
import Foundation
import Postgres

/// `chitieu db …`: the schema.
struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Migrate the database and show its state.",
        subcommands: [Migrate.self, Status.self])

    /// The migrations found (`MigrationSet.locate`) and what `body` does with their migrator, on
    /// one connection of the database's owner.
    static func migrator<T: Sendable>(
        _ database: DatabaseOptions, _ body: @escaping @Sendable (Migrator, PostgresConnection) async throws -> T
    ) async throws -> (set: MigrationSet, result: T) {
        let logger = database.makeLogger(defaultLevel: .warning)
        let set = try MigrationSet.load(from: try MigrationSet.locate())
        let result = try await withAdminDatabase(database) { db in
            try await db.pool.withConnection { try await body(Migrator(set: set, logger: logger), $0) }
        }
        return (set, result)
    }

    struct Migrate: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations (as the database owner), each in its own transaction.",
            discussion: "Safe to run from several places at once: runs wait for each other on an advisory lock.")

        @OptionGroup var database: DatabaseOptions

        func perform() async throws {
            let (set, report) = try await DB.migrator(database) { try await $0.migrate(on: $1) }
            if report.applied.isEmpty && report.repeatablesApplied.isEmpty {
                print("The database is up to date (\(set.versionCount) migrations).")
            } else {
                let replaced = Set(report.baseline ? (set.baseline?.replaces.map(\.version) ?? []) : [])
                for migration in report.applied {
                    let via = replaced.contains(migration.version) ? " (baseline)" : ""
                    print("applied  \(String(format: "%04d", migration.version))_\(migration.name)\(via)")
                }
                for name in report.repeatablesApplied { print("applied  \(name) (re-runnable)") }
            }
        }
    }

    struct Status: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List applied and pending migrations.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let (_, statuses) = try await DB.migrator(database) { try await $0.status(on: $1) }
            let formatter = ISO8601DateFormatter()
            Output.print(
                output.format, columns: ["version", "name", "state", "applied_at"],
                rows: statuses.map { [String(format: "%04d", $0.version), $0.name, $0.state.rawValue, $0.appliedAt.map(formatter.string) ?? ""] },
                jsonRows: statuses.map {
                    ["version": $0.version, "name": $0.name, "state": $0.state.rawValue, "applied_at": $0.appliedAt.map(formatter.string) ?? NSNull()]
                })
            if statuses.contains(where: { $0.state != .applied }) { throw ExitCode(1) }
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuStore
import Foundation
import Postgres

/// `chitieu doctor`: is this deployment safe and working?
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the deployment: database, migrations, row-level security, roles, job queue, clock.",
        discussion: """
            Connects as the daemon does (--database-url, else CHITIEU_DATABASE_URL, DATABASE_URL, PG* variables) and prints \
            one line per check: ok, warn or fail, with what it found. Exit status 1 when a check fails; warnings leave it 0.
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON (for scripts and monitoring).") var json = false

    func run() async throws {
        let logger = database.makeLogger(defaultLevel: .warning)
        let migrations = Result { try MigrationSet.load(from: try MigrationSet.locate()) }
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: database.appConnectionString, applicationName: "chitieu doctor", maxConnections: 1),
            logger: logger)
        let checks = await Doctor(pool: pool, migrations: migrations, logger: logger).run()
        await pool.shutdown()
        if json {
            print(Output.json(checks.map { ["check": $0.name, "status": $0.status.rawValue, "detail": $0.detail] }))
        } else {
            let width = checks.map(\.name.count).max() ?? 0
            for check in checks {
                let status = check.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)
                print("\(status)  \(check.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(check.detail)")
            }
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}

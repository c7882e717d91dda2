import ArgumentParser
import ChitieuStore
import Foundation
import Postgres

/// `chitieu tenant …`: provinces sharing the deployment.
struct Tenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and list provinces (tenants).", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a province: its unit, default phases (2021-2025, 2026-2030) and reporting group.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "GSO province code, 2 digits (e.g. 10).") var code: String
        @Option(help: "Official name, e.g. \"Tỉnh Lào Cai\".") var name: String
        @Option(help: "First day of validity (default 2021-01-01).") var validFrom: String = "2021-01-01"
        @Option(help: "Last day of validity (default: none).") var validTo: String?
        @Flag(help: "Print the new province as JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let from = try parseDate(validFrom, option: "--valid-from")
                let to = try validTo.map { try parseDate($0, option: "--valid-to") }
                let province = try await withAdminDatabase(database) { db in
                    try await TenantStore(database: db).create(
                        code: code, name: name, validFrom: from, validTo: to, actor: .command("tenant create"))
                }
                if json {
                    print(Output.json(provinceJSON(province)))
                } else {
                    print("Created province \(province.code) \(province.name) (id \(province.id), reporting group \(province.reportingGroup)).")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the provinces of the deployment.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let provinces = try await withAdminDatabase(database) { try await TenantStore(database: $0).list() }
                Output.print(
                    output.format, columns: ["id", "code", "name", "valid_from", "valid_to", "reporting_group"],
                    rows: provinces.map { [String($0.id), $0.code, $0.name, $0.validFrom.description, $0.validTo?.description ?? "", $0.reportingGroup] },
                    jsonRows: provinces.map(provinceJSON))
            }
        }
    }
}

func provinceJSON(_ p: Province) -> [String: Any] {
    [
        "id": p.id, "code": p.code, "name": p.name, "valid_from": p.validFrom.description,
        "valid_to": p.validTo?.description ?? NSNull(), "reporting_group": p.reportingGroup,
    ]
}

/// Runs operator work on a small pool connected with the owner's rights, closed afterwards.
func withAdminDatabase<T: Sendable>(
    _ options: DatabaseOptions, connections: Int = 2, _ body: (ChitieuDatabase) async throws -> T
) async throws -> T {
    let database = ChitieuDatabase(
        pool: PostgresPool(
            configuration: PostgresConfiguration(connectionString: options.adminConnectionString, maxConnections: connections),
            logger: options.makeLogger(defaultLevel: .warning)))
    do {
        let value = try await body(database)
        await database.pool.shutdown()
        return value
    } catch {
        await database.pool.shutdown()
        throw error
    }
}

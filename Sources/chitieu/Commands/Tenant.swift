import ArgumentParser
import ChitieuCommandSupport
import ChitieuServer
import ChitieuStore
import Foundation
import Postgres

/// `chitieu tenant …`: provinces sharing the deployment.
struct Tenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, export and import provinces (tenants); show and change their settings.",
        subcommands: [Create.self, List.self, Export.self, Import.self, TenantMerge.self, Settings.self])

    struct Create: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a province: its unit, default phases (2021-2025, 2026-2030) and reporting group.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "GSO province code, 2 digits (e.g. 10).") var code: String
        @Option(help: "Official name, e.g. \"Tỉnh Lào Cai\".") var name: String
        @Option(help: "First day of validity (default 2021-01-01).") var validFrom: String = "2021-01-01"
        @Option(help: "Last day of validity (default: none).") var validTo: String?
        @Flag(help: "Print the new province as JSON.") var json = false

        func perform() async throws {
            let from = try parseDate(validFrom, option: "--valid-from")
            let to = try validTo.map { try parseDate($0, option: "--valid-to") }
            let province = try await withAdminDatabase(database) { db in
                try await TenantStore(database: db).create(
                    code: code, name: name, validFrom: from, validTo: to, actor: .command("tenant create"))
            }
            Output.print(json: json, provinceJSON(province), else: "Created province \(province.code) \(province.name) (id \(province.id), reporting group \(province.reportingGroup)).")
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List the provinces of the deployment.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let provinces = try await withAdminDatabase(database) { try await TenantStore(database: $0).list() }
            Output.print(
                output.format, columns: ["id", "code", "name", "valid_from", "valid_to", "reporting_group"],
                rows: provinces.map { [String($0.id), $0.code, $0.name, $0.validFrom.description, $0.validTo?.description ?? "", $0.reportingGroup] },
                jsonRows: provinces.map(provinceJSON))
        }
    }
}

extension Tenant {
    struct Export: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a province's data to a file (JSON lines, format chitieu-tenant version 1), from one snapshot.",
            discussion: "The file holds every row of the province, password and token hashes included: it is written readable by its owner only.")

        @OptionGroup var options: ProvinceWork
        @Option(help: "The file to write.") var out: String

        func perform() async throws {
            let summary = try await options.run { db, tenant in
                try await TenantArchive(database: db).export(province: tenant, to: URL(fileURLWithPath: out))
            }
            print("Exported province \(summary.province.code) \(summary.province.name): \(summary.total) rows to \(out).")
        }
    }

    struct Import: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a province from a file written by `tenant export`, with the ids it had, in one transaction.",
            discussion: """
                Refused, changing nothing, when the file is damaged or cut short, when it was exported at another schema version, \
                or when the province, its id or one of its usernames exists in this database. Reporting logins are not in the file \
                (roles belong to the cluster): create them again.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The file to read.") var file: String

        func perform() async throws {
            let summary = try await withAdminDatabase(database) { db in
                try await TenantArchive(database: db).importFile(URL(fileURLWithPath: file), actor: .command("tenant import"))
            }
            print("Imported province \(summary.province.code) \(summary.province.name) (id \(summary.province.id)): \(summary.total) rows.")
        }
    }
}

extension Tenant {
    /// `chitieu tenant settings …`.
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show and change how a province plans (who sets the communes' targets).", subcommands: [Show.self, Set.self])

        struct Show: OperatorCommand {
            static let configuration = CommandConfiguration(abstract: "Show a province's settings.")
            @OptionGroup var options: ProvinceActing
            @Flag(help: "Print JSON.") var json = false

            func perform() async throws {
                let settings = try await options.run("tenant settings show") { db, tenant, caller in
                    try await ProvinceSettingsStore(database: db).settings(
                        province: tenant.id, caller: caller)
                }
                Output.print(json: json, Representation.provinceSettings(settings), else: Output.fields([("district allocation", Switch(settings.districtAllocation).rawValue)]), terminator: "")
            }
        }

        struct Set: OperatorCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change a province's settings.",
                discussion: "--district-allocation on lets district officers set their communes' targets and allocation rules; off leaves every level to the province.")
            @OptionGroup var options: ProvinceActing
            @Option(name: .customLong("district-allocation"), help: "on or off: district officers plan their communes.")
            var districtAllocation: Switch

            func perform() async throws {
                let settings = try await options.run("tenant settings set") { db, tenant, caller in
                    try await ProvinceSettingsStore(database: db).setDistrictAllocation(
                        province: tenant.id, enabled: districtAllocation.isOn, caller: caller)
                }
                print("District allocation is \(Switch(settings.districtAllocation).rawValue) for province \(options.province.province).")
            }
        }
    }
}

/// A setting turned on or off on the command line.
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off

    init(_ isOn: Bool) { self = isOn ? .on : .off }

    var isOn: Bool { self == .on }
}

func provinceJSON(_ p: Province) -> [String: Any] {
    [
        "id": p.id, "code": p.code, "name": p.name, "valid_from": p.validFrom.description,
        "valid_to": p.validTo?.description ?? NSNull(), "reporting_group": p.reportingGroup,
    ]
}

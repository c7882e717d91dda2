import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// `chitieu units …`: administrative units.
struct Units: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import and show administrative units.", subcommands: [Import.self, Tree.self, Attributes.self, Succession.self, Reform.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a GSO units file (units-2021.csv or units-2025.csv layout).",
            discussion: """
                Creates the provinces it names that do not exist for --valid-from, and inserts or updates
                their units, all in one transaction: a bad file is refused whole, with the line and the
                reason. Importing the same file again changes nothing.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The CSV file.") var file: String
        @Option(help: "Import only this province (GSO code).") var province: String?
        @Option(help: "First day the units are valid (default: 2021-01-01 for the 2021 layout, 2025-07-01 for 2025).")
        var validFrom: String?
        @Option(help: "Last day the units are valid (default: none).") var validTo: String?
        @Flag(help: "Print the report as JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ChitieuError(.invalid, field: "--file", reason: "cannot read '\(file)'")
                }
                var parsed = try AdminUnitsCSV.parse(data)
                if let province {
                    parsed = parsed.filtered(province: province)
                    if parsed.units.isEmpty {
                        throw ChitieuError(.invalid, field: "--province", reason: "the file has no province with code '\(province)'")
                    }
                }
                let from = try validFrom.map { try parseDate($0, option: "--valid-from") }
                    ?? (parsed.layout == .threeLevel ? PostgresDate(year: 2021, month: 1, day: 1) : PostgresDate(year: 2025, month: 7, day: 1))
                let to = try validTo.map { try parseDate($0, option: "--valid-to") }
                let started = ContinuousClock.now
                let source = URL(fileURLWithPath: file).lastPathComponent
                let report = try await withAdminDatabase(database) { db in
                    try await UnitStore(database: db).importUnits(parsed, validFrom: from, validTo: to, actor: .command("units import"), source: source)
                }
                let seconds = (ContinuousClock.now - started).seconds
                if json {
                    var levels: [String: Any] = [:]
                    for (level, c) in report.levels {
                        levels[level.rawValue] = ["inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged]
                    }
                    print(Output.json([
                        "units_read": report.unitsRead, "provinces_created": report.provincesCreated.map(provinceJSON),
                        "levels": levels, "seconds": seconds,
                    ] as [String: Any]))
                    return
                }
                for p in report.provincesCreated {
                    print("created province \(p.code) \(p.name) (id \(p.id))")
                }
                let rows = [UnitLevel.province, .district, .commune].compactMap { level -> [String]? in
                    guard let c = report.levels[level] else { return nil }
                    return [level.rawValue, String(c.inserted), String(c.updated), String(c.unchanged)]
                }
                print(Output.table(columns: ["level", "inserted", "updated", "unchanged"], rows: rows), terminator: "")
                print("\(report.unitsRead) units read from \(source), valid from \(from), in \(String(format: "%.2f", seconds)) s.")
            }
        }
    }

    struct Tree: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a province's hierarchy, sorted in Vietnamese order (ICU vi).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "GSO province code.") var province: String
        @Option(help: "Levels below the province to show (default: all).") var depth: Int?
        @Option(help: "Show the units valid on this date (default: today, or the province's last day).") var on: String?

        func validate() throws {
            if let depth, depth < 0 { throw ValidationError("--depth: must be 0 or more") }
        }

        func run() async throws {
            try await runReportingErrors {
                let date = try on.map { try parseDate($0, option: "--on") }
                let (tenant, units) = try await withAdminDatabase(database) { db in
                    let tenant = try await TenantStore(database: db).resolve(code: province, on: date)
                    var day = date ?? PostgresDate.today
                    if date == nil, let last = tenant.validTo, last < day { day = last }
                    if date == nil, day < tenant.validFrom { day = tenant.validFrom }
                    return (tenant, try await UnitStore(database: db).units(of: tenant, on: day))
                }
                printTree(tenant, units)
            }
        }

        func printTree(_ tenant: Province, _ units: [UnitNode]) {
            var children: [Int64?: [UnitNode]] = [:]
            for unit in units { children[unit.parentID, default: []].append(unit) }
            for key in children.keys { children[key]!.sort { $0.sortKey < $1.sortKey } }
            var ordered: [(unit: UnitNode, depth: Int, prefix: String)] = []
            func walk(_ unit: UnitNode, depth: Int, prefix: String, childPrefix: String) {
                ordered.append((unit, depth, prefix))
                guard self.depth.map({ depth < $0 }) ?? true else { return }
                let kids = children[unit.id] ?? []
                for (i, kid) in kids.enumerated() {
                    let last = i == kids.count - 1
                    walk(kid, depth: depth + 1, prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "))
                }
            }
            for root in children[nil] ?? [] { walk(root, depth: 0, prefix: "", childPrefix: "") }
            switch output.format {
            case .table:
                for entry in ordered {
                    let hidden = (children[entry.unit.id]?.count ?? 0)
                    let more = (self.depth == entry.depth && hidden > 0) ? "  (\(hidden) đơn vị trực thuộc)" : ""
                    print("\(entry.prefix)\(entry.unit.name)  [\(entry.unit.code)]\(more)")
                }
            case .csv, .json:
                let byID = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                Output.print(
                    output.format, columns: ["level", "code", "name", "type", "parent_code", "depth"],
                    rows: ordered.map { e in
                        [e.unit.level.rawValue, e.unit.code, e.unit.name, e.unit.typeLabel, e.unit.parentID.flatMap { byID[$0]?.code } ?? "", String(e.depth)]
                    },
                    jsonRows: ordered.map { e in
                        [
                            "level": e.unit.level.rawValue, "code": e.unit.code, "name": e.unit.name, "type": e.unit.typeLabel,
                            "parent_code": e.unit.parentID.flatMap { byID[$0]?.code } ?? NSNull(), "depth": e.depth,
                            "province_id": tenant.id,
                        ] as [String: Any]
                    })
            }
        }
    }

    struct Attributes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Numeric attributes of units (population…), for weighted allocation.", subcommands: [ImportAttributes.self])
    }

    struct ImportAttributes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import unit attributes from a CSV with columns unit_code,name,value.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var province: ProvinceOption
        @OptionGroup var acting: ActingOption
        @Option(help: "The CSV file.") var file: String

        func run() async throws {
            try await runReportingErrors {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ChitieuError(.invalid, field: "--file", reason: "cannot read '\(file)'")
                }
                let rows = try UnitAttributesCSV.parse(data)
                let stored = try await province.withProvince(database) { db, tenant in
                    try await UnitStore(database: db).importAttributes(rows, province: tenant, caller: try await acting.caller("units attributes import", db, tenant))
                }
                print("\(rows.count) values read, \(stored) stored or changed.")
            }
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// `chitieu tenant merge`.
struct TenantMerge: OperatorCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Merge provinces into a province that begins on a day (e.g. the 2025 reform).",
        discussion: """
            --into names the province valid on --on (its first day), each --from a province valid the day before.
            The provinces named by --from end the day before, with their units; their units, targets and results
            are copied into the merged province with their ids (read only there: their units have ended), their
            accounts move there (sessions end; grants on ended units become viewer grants), and their own data
            stays where it was for their reporting logins. One transaction; a province merges once.
            Example: chitieu tenant merge --into 15 --from 10 --from 15 --on 2025-07-01
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "GSO code of the merged province (valid from --on).") var into: String
    @Option(help: "GSO code of a province merged into it (valid the day before --on); repeat.") var from: [String]
    @Option(help: "First day of the merged province (YYYY-MM-DD).") var on: String
    @Flag(help: "Print JSON.") var json = false

    func perform() async throws {
        let day = try parseDate(on, option: "--on")
        let report = try await withAdminDatabase(database) { db in
            let tenants = TenantStore(database: db)
            let target = try await tenants.resolve(code: into, on: day)
            var sources: [Province] = []
            for code in from { sources.append(try await tenants.resolve(code: code, on: day.dayBefore)) }
            return try await ReformStore(database: db).merge(into: target, from: sources, on: day, actor: .command("tenant merge"))
        }
        printMerge(report, json: json)
    }
}

func printMerge(_ report: MergeReport, json: Bool) {
    if json {
        print(Output.json([
            "province": ["code": report.province.code, "id": report.province.id, "name": report.province.name],
            "predecessors": report.parts.map { ["code": $0.predecessor.code, "id": $0.predecessor.id, "name": $0.predecessor.name, "carried": $0.carried] },
        ] as [String: Any]))
        return
    }
    for part in report.parts {
        let counts = part.carried.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("\(part.predecessor.code) \(part.predecessor.name) (id \(part.predecessor.id)) → \(report.province.code) \(report.province.name) (id \(report.province.id)): \(counts)")
    }
}

/// `chitieu units succession …` and `chitieu units reform`.
struct Succession: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "succession", abstract: "Succession links between units that ended and the units that took them over.",
        subcommands: [Import.self, Weights.self])

    struct Import: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a succession file (succession-2025.csv layout) into the provinces that begin on --on.",
            discussion: "Run after `tenant merge`: both the old and the new communes must be units of the merged province. Parts of a split weigh the same until `units succession weights` sets them.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The CSV file.") var file: String
        @Option(help: "The day the links take effect (YYYY-MM-DD).") var on: String
        @Option(help: "Only this province (GSO code, valid from --on); repeat.") var province: [String] = []

        func perform() async throws {
            let day = try parseDate(on, option: "--on")
            let rows = try SuccessionCSV.parse(try readFile(file, option: "--file"))
            let report = try await withAdminDatabase(database) { db in
                try await ReformStore(database: db).importSuccession(
                    rows, on: day, provinceCodes: province.isEmpty ? nil : Set(province), actor: .command("units succession import"))
            }
            printSuccession(report)
        }
    }

    struct Weights: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the weights of the parts of a split commune (only ratios matter).",
            discussion: "Example: chitieu units succession weights --province 01 --unit 00007 --weight 00008=3 --weight 00025=1")
        @OptionGroup var options: ProvinceActing
        @Option(help: "GSO code of the commune that was split.") var unit: String
        @Option(help: "CODE=WEIGHT for each successor; repeat.") var weight: [String]

        func perform() async throws {
            var weights: [String: Decimal] = [:]
            for item in weight {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let w = Decimal(string: parts[1], locale: Locale(identifier: "en_US_POSIX")),
                    parts[1].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") })
                else { throw ChitieuError(.invalid, field: "--weight", reason: "'\(item)' is not CODE=WEIGHT (e.g. 00008=0.6)") }
                weights[parts[0]] = w
            }
            let changed = try await options.run("units succession weights") { db, tenant, caller in
                try await ReformStore(database: db).setWeights(
                    province: tenant, oldCode: unit, weights: weights, caller: caller)
            }
            print("Weights of \(unit): \(changed) changed.")
        }
    }
}

func printSuccession(_ report: SuccessionImportReport) {
    for (code, n) in report.linksByProvince.sorted(by: { $0.key < $1.key }) { print("province \(code): \(n) links written") }
    if report.oldUnitsMissing + report.newUnitsMissing > 0 {
        print("not in any merged province: \(report.oldUnitsMissing) old communes, \(report.newUnitsMissing) new communes (their provinces were not imported or merged)")
    }
}

struct Reform: OperatorCommand {
    static let configuration = CommandConfiguration(
        commandName: "reform", abstract: "Apply a reform: new units, merged provinces, succession links.",
        discussion: """
            Imports the new units (valid from --on), merges into each new province the provinces whose communes
            went into it, then imports the succession links. Each province's merge is one transaction; running
            the command again after a failure continues where it stopped.
            Example: chitieu units reform --units units-2025.csv --succession succession-2025.csv --on 2025-07-01
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The new units (units-2025.csv layout).") var units: String
    @Option(help: "The succession file (succession-2025.csv layout).") var succession: String
    @Option(help: "First day of the new units (YYYY-MM-DD).") var on: String
    @Option(help: "Only this new province (GSO code); repeat.") var province: [String] = []
    @Flag(help: "Print JSON.") var json = false

    func perform() async throws {
        let day = try parseDate(on, option: "--on")
        let file = try AdminUnitsCSV.parse(try readFile(units, option: "--units"))
        let rows = try SuccessionCSV.parse(try readFile(succession, option: "--succession"))
        let report = try await withAdminDatabase(database) { db in
            try await ReformStore(database: db).apply(
                units: file, succession: rows, on: day, provinceCodes: province.isEmpty ? nil : Set(province), actor: .command("units reform"),
                source: URL(fileURLWithPath: units).lastPathComponent)
        }
        if json {
            print(Output.json([
                "provinces_created": report.units.provincesCreated.map { $0.code }, "merges": report.merges.count,
                "links": report.succession.linksByProvince, "seconds": report.seconds,
            ] as [String: Any]))
            return
        }
        for p in report.units.provincesCreated { print("created province \(p.code) \(p.name) (id \(p.id))") }
        for merge in report.merges { printMerge(merge, json: false) }
        printSuccession(report.succession)
        print(String(format: "units %.2f s, merges %.2f s, succession %.2f s", report.seconds["units"] ?? 0, report.seconds["merges"] ?? 0, report.seconds["succession"] ?? 0))
    }
}

/// `chitieu grant successors` and `grant confirm`.
struct GrantSuccessors: OperatorCommand {
    static let configuration = CommandConfiguration(
        commandName: "successors", abstract: "Propose, for each grant that ended with its unit, the grant on the unit that succeeded it.",
        discussion: "Save the CSV, keep the lines the province confirms (the unit_code may be changed), then run `grant confirm --file`.")
    @OptionGroup var options: ProvinceWork
    @OptionGroup var output: OutputOptions

    func perform() async throws {
        let proposals = try await options.run { db, tenant in try await ReformStore(database: db).proposals(province: tenant) }
        Output.print(
            output.format, columns: ["grant_id", "username", "role", "old_unit_code", "old_unit_name", "unit_code", "unit_name", "kind"],
            rows: proposals.map { [String($0.grantID), $0.username, $0.role, $0.oldUnitCode, $0.oldUnitName, $0.newUnitCode, $0.newUnitName, $0.kind] },
            jsonRows: proposals.map {
                ["grant_id": $0.grantID, "username": $0.username, "role": $0.role, "old_unit_code": $0.oldUnitCode, "old_unit_name": $0.oldUnitName,
                 "unit_code": $0.newUnitCode, "unit_name": $0.newUnitName, "kind": $0.kind]
            })
    }
}

struct GrantConfirm: OperatorCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm", abstract: "Make the grants of a confirmed proposal file (from `grant successors --csv`), or of every proposal.")
    @OptionGroup var options: ProvinceActing
    @Option(help: "The confirmed CSV (columns grant_id and unit_code at least).") var file: String?
    @Flag(help: "Confirm every proposal as proposed.") var all = false

    func validate() throws {
        if (file == nil) == !all { throw ValidationError("give either --file or --all") }
    }

    func perform() async throws {
        let made = try await options.run("grant confirm") { db, tenant, caller in
            let store = ReformStore(database: db)
            var confirmed: [(grantID: Int64, unitCode: String)] = []
            if let file {
                confirmed = try GrantConfirmationCSV.parse(try readFile(file, option: "--file"))
            } else {
                confirmed = try await store.proposals(province: tenant).map { ($0.grantID, $0.newUnitCode) }
            }
            return try await store.confirm(province: tenant, confirmed, caller: caller)
        }
        print("\(made) grants made.")
    }
}

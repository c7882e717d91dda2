import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation

/// Prints an import's report: the counts, or every row's problem in Vietnamese (exit code 1,
/// nothing written).
func printImportReport(_ report: ImportReport, json: Bool) throws {
    if json {
        print(Output.json([
            "kind": report.kind.rawValue, "dry_run": report.dryRun, "sheet": report.sheet, "rows": report.rows, "recorded": report.recorded,
            "unchanged": report.unchanged, "accepted": report.accepted,
            "errors": report.problems.map { p -> [String: Any] in
                ["row": p.row, "column": p.column ?? "", "field": p.field, "detail": p.message(in: .vi)]
            },
        ] as [String: Any]))
    } else if report.accepted {
        let verb = report.dryRun ? "would record" : "recorded"
        print("\(report.sheet): \(report.rows) rows checked; \(verb) \(report.recorded), \(report.unchanged) unchanged.")
    } else {
        for problem in report.problems { print("\(report.sheet) \(problem.message(in: .vi))") }
    }
    if !report.accepted {
        Output.note("error: \(report.problems.count) rows have problems; nothing was imported")
        throw ExitCode(1)
    }
}

/// The options of an import: the file, a dry run, JSON.
struct ImportFileOptions: ParsableArguments {
    @Option(help: "The .xlsx or .csv file.") var file: String
    @Flag(help: "Check the rows and say what would be written; write nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    /// Reads the file, runs `body` on it as `command`'s caller, and prints the report.
    func run(
        _ command: String, _ options: ProvinceActing, _ body: @escaping (ImportStore, Int64, Data, Caller) async throws -> ImportReport
    ) async throws {
        let data = try readFile(file, option: "--file")
        let report = try await options.run(command) { db, tenant, caller in try await body(ImportStore(database: db), tenant.id, data, caller) }
        try printImportReport(report, json: json)
    }
}

/// The options of a template: the units' level, the indicators, the file written and its format.
struct TemplateOptions: ParsableArguments {
    @Option(help: "The level of the units: province, district or commune.") var level = "commune"
    @Option(help: "Only these indicators (codes, comma-separated).") var indicators: String?
    @Option(help: "The file to write (.xlsx or .csv).") var out: String
    @Option(help: "xlsx or csv (default: from --out).") var format: String?

    func validate() throws {
        if UnitLevel(rawValue: level) == nil { throw ValidationError("--level: '\(level)' is not province, district or commune") }
        if let format, ImportTemplate.Format(rawValue: format) == nil { throw ValidationError("--format: '\(format)' is not xlsx or csv") }
    }

    var unitLevel: UnitLevel { UnitLevel(rawValue: level) ?? .commune }
    var codes: [String]? { indicators.map { $0.split(separator: ",").map(String.init) } }

    /// Writes the template to `out`, in the format its extension names unless `--format` says.
    func write(_ template: ImportTemplate) throws {
        let chosen = format.flatMap(ImportTemplate.Format.init(rawValue:)) ?? (out.lowercased().hasSuffix(".csv") ? .csv : .xlsx)
        guard FileManager.default.createFile(atPath: out, contents: template.file(chosen).data) else {
            throw ChitieuError(.invalid, field: "--out", reason: "cannot write '\(out)'")
        }
        print("Wrote \(template.rows.count) rows to \(out).")
    }
}

extension ResultCommand {
    struct Import: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import results from an .xlsx or CSV file (the template of `result template`).",
            discussion: """
                Every row is checked as one submission would be; with a problem in any row nothing is written and \
                every problem is listed by row and column. Importing the same file again records nothing new.
                """)
        @OptionGroup var options: ProvinceActing
        @OptionGroup var input: ImportFileOptions
        @Flag(help: "Record the results as submitted (default: drafts).") var submit = false

        func perform() async throws {
            try await input.run("result import", options) { store, province, data, caller in
                try await store.importResults(province: province, file: data, submit: submit, dryRun: input.dryRun, caller: caller)
            }
        }
    }

    struct Template: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the results template of a period: the units of a level and the indicators they report.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "The period: 2025, 2025-H1, 2025-Q3 or 2025-07.") var period: String
        @OptionGroup var template: TemplateOptions

        func validate() throws {
            if ReportingPeriod(code: period) == nil { throw ValidationError("--period: '\(period)' is not 2025, 2025-H1, 2025-Q3 or 2025-07") }
        }

        func perform() async throws {
            let written = try await options.run("result template") { db, tenant, caller in
                try await ImportStore(database: db).resultsTemplate(
                    province: tenant.id, period: ReportingPeriod(code: period)!, level: template.unitLevel, indicators: template.codes, caller: caller)
            }
            try template.write(written)
        }
    }
}

extension TargetCommand {
    struct Import: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the targets of a phase from an .xlsx or CSV file (the template of `target template`).",
            discussion: "A row without a year sets the phase target. With a problem in any row nothing is written.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @OptionGroup var input: ImportFileOptions

        func perform() async throws {
            try await input.run("target import", options) { store, province, data, caller in
                try await store.importTargets(province: province, file: data, phase: phase, dryRun: input.dryRun, caller: caller)
            }
        }
    }

    struct Template: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the targets template of a phase (or a year of it): the units of a level, each indicator, the stored target.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "A year of the phase (default: the phase targets).") var year: Int?
        @OptionGroup var template: TemplateOptions

        func perform() async throws {
            let written = try await options.run("target template") { db, tenant, caller in
                try await ImportStore(database: db).targetsTemplate(
                    province: tenant.id, phase: phase, year: year, level: template.unitLevel, indicators: template.codes, caller: caller)
            }
            try template.write(written)
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuServer
import ChitieuStore
import Foundation

/// `chitieu report province`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports as a province sends them upward.", subcommands: [Province.self])

    struct Province: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "The province's report of a phase or a year: one table per level with target, achieved, rate and note.",
            discussion: """
                With --output, writes the Excel workbook (styled, printable on A4 landscape); otherwise prints the
                tables, or with --json the same document as GET /v1/reports/province. With --as, the account's
                scope only, as its roles decide.
                """)
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "One year of the phase (default: the whole phase).") var year: Int?
        @Option(name: [.customLong("output"), .customLong("out")], help: "The .xlsx file to write.") var output: String?
        @Flag(help: "Print the report as JSON.") var json = false

        func validate() throws {
            if json, output != nil { throw ValidationError("--json and --output: choose one") }
        }

        func perform() async throws {
            let report = try await options.run("report province") { db, tenant, caller in
                try await ProgressStore(database: db).provinceReport(province: tenant.id, phaseCode: phase, year: year, caller: caller)
            }
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: report.xlsx()) else {
                    throw ChitieuError(.invalid, field: "--output", reason: "cannot write '\(output)'")
                }
                print("Wrote the report (\(report.tables.count) tables; \(report.completion?.text ?? "no figures")) to \(output).")
            } else if json {
                print(Output.json(Representation.provinceReport(report)))
            } else {
                print(Self.text(report), terminator: "")
            }
        }

        /// The report for people: the title block, then each table's units and lines.
        static func text(_ report: ProvinceReport) -> String {
            var out = report.titleLines.joined(separator: "\n") + "\n"
            for table in report.tables {
                out += "\n" + table.heading + "\n"
                for group in table.groups {
                    out += "\n\(group.unitName) — \(group.completion.text)\n"
                    out += Output.table(columns: ProvinceReport.header, rows: group.lines.map { line in
                        [String(line.number), line.indicatorName, line.measureUnit, line.target.map(String.init) ?? "—", String(line.achieved),
                         line.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "—", line.note]
                    })
                }
            }
            return out + "\n" + (report.completion?.text ?? "Không có số liệu") + "\n"
        }
    }
}

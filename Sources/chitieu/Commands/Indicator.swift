import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// `chitieu indicator …`.
struct IndicatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicator", abstract: "Manage a province's indicators.",
        subcommands: [Add.self, Import.self, List.self, Show.self, Suspend.self, Resume.self])

    struct Add: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Add an indicator.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Short code, unique in the province.") var code: String
        @Option(help: "Vietnamese name.") var name: String
        @Option(name: .customLong("name-en"), help: "English name.") var nameEnglish: String?
        @Option(help: "Unit of measure: tổ, câu lạc bộ, lớp, người…") var unit: String
        @Option(help: "flow (counted per period, summed) or stock (a level at the end of a period).") var kind: String
        @Option(help: "Levels that report it, comma-separated (default: commune).") var levels = "commune"
        @Option(help: "Breakdown, e.g. 'sex=nữ|nam'.") var disaggregation: String?
        @Option(help: "Companion measure, e.g. 'thành viên'.") var companion: String?
        @Option(help: "Breakdown of the companion figure, e.g. 'sex=nữ|nam' (members by sex); needs --companion.")
        var companionDisaggregation: String?
        @Flag(help: "Print the indicator as JSON.") var json = false

        func validate() throws {
            if IndicatorKind(rawValue: kind) == nil { throw ValidationError("--kind: '\(kind)' is neither flow nor stock") }
            if UnitLevel.parseList(levels) == nil { throw ValidationError("--levels: '\(levels)' is not a list of province, district, commune, village") }
            if let disaggregation, parseDisaggregation(disaggregation) == nil {
                throw ValidationError("--disaggregation: '\(disaggregation)' is not of the form dimension=a|b;other=c|d")
            }
            if let companionDisaggregation, parseDisaggregation(companionDisaggregation) == nil {
                throw ValidationError("--companion-disaggregation: '\(companionDisaggregation)' is not of the form dimension=a|b;other=c|d")
            }
        }

        func perform() async throws {
            let draft = IndicatorDraft(
                code: code, name: name, nameEnglish: nameEnglish, measureUnit: unit, kind: IndicatorKind(rawValue: kind)!,
                reportingLevels: UnitLevel.parseList(levels)!, disaggregation: disaggregation.flatMap(parseDisaggregation),
                companionMeasure: companion, companionDisaggregation: companionDisaggregation.flatMap(parseDisaggregation))
            let indicator = try await options.run("indicator add") { db, tenant, caller in
                try await IndicatorStore(database: db).add(draft, province: tenant.id, caller: caller)
            }
            Output.print(json: json, indicatorJSON(indicator), else: "Added indicator \(indicator.draft.code): \(indicator.draft.name).")
        }
    }

    struct Import: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an indicator catalogue (CSV), e.g. Deploy/catalogue/project8-indicators.csv.",
            discussion: "Adds new codes, updates changed ones and applies the suspensions it lists; a bad file changes nothing.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "The catalogue file.") var file: String
        @Flag(help: "Print counts as JSON.") var json = false

        func perform() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ChitieuError(.invalid, field: "--file", reason: "cannot read '\(file)'")
            }
            let rows = try IndicatorCatalogueCSV.parse(data)
            let entries = try rows.map { row in
                IndicatorStore.CatalogueEntry(
                    draft: row.draft, suspendedFrom: try row.suspendedFrom.map { try parseDate($0, option: "line \(row.line) suspended_from") },
                    suspendedReason: row.suspendedReason)
            }
            let (added, updated, unchanged) = try await options.run("indicator import") { db, tenant, caller in
                try await IndicatorStore(database: db).importCatalogue(entries, province: tenant.id, caller: caller)
            }
            Output.print(json: json, ["added": added, "updated": updated, "unchanged": unchanged], else: "\(rows.count) indicators read: \(added) added, \(updated) updated, \(unchanged) unchanged.")
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List the province's indicators.")
        @OptionGroup var options: ProvinceWork
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let indicators = try await options.run { db, tenant in
                try await IndicatorStore(database: db).list(province: tenant.id)
            }
            Output.print(
                output.format, columns: ["code", "name", "unit", "kind", "status", "breakdown", "companion"],
                rows: indicators.map { i in
                    [i.draft.code, i.draft.name, i.draft.measureUnit, i.draft.kind.rawValue,
                     i.status == "suspended" ? "suspended from \(i.suspendedFrom?.description ?? "?")" : i.status,
                     disaggregationText(i.draft.disaggregation),
                     [i.draft.companionMeasure, i.draft.companionDisaggregation.map { "by " + disaggregationText($0) }].compactMap { $0 }.joined(separator: " ")]
                },
                jsonRows: indicators.map(indicatorJSON))
        }
    }

    struct Show: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Show one indicator.")
        @OptionGroup var options: ProvinceWork
        @Option(help: "Indicator code.") var code: String
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let i = try await options.run { db, tenant in
                try await IndicatorStore(database: db).find(code: code, province: tenant.id)
            }
            if json { print(Output.json(indicatorJSON(i))); return }
            let d = i.draft
            var lines: [[String]] = [
                ["code", d.code], ["name", d.name], ["name (en)", d.nameEnglish ?? ""], ["unit", d.measureUnit],
                ["kind", d.kind.rawValue], ["reported by", d.reportingLevels.map(\.rawValue).joined(separator: ", ")],
                ["disaggregation", disaggregationText(d.disaggregation)],
                ["companion", d.companionMeasure ?? ""], ["companion by", disaggregationText(d.companionDisaggregation)], ["status", i.status],
            ]
            if i.status == "suspended" {
                lines.append(["suspended from", i.suspendedFrom?.description ?? ""])
                lines.append(["reason", i.suspendedReason ?? ""])
            }
            let width = lines.map { $0[0].count }.max() ?? 0
            for l in lines { print(l[0] + String(repeating: " ", count: width - l[0].count) + "  " + l[1]) }
        }
    }

    struct Suspend: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend an indicator (it stays on record, out of completion totals).")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Indicator code.") var code: String
        @Option(help: "Date the suspension takes effect (YYYY-MM-DD).") var from: String
        @Option(help: "Why, e.g. 'Dừng thực hiện theo chỉ đạo của Trung ương'.") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let date = try parseDate(from, option: "--from")
            let i = try await options.run("indicator suspend") { db, tenant, caller in
                try await IndicatorStore(database: db).suspend(code: code, from: date, reason: reason, province: tenant.id, caller: caller)
            }
            Output.print(json: json, indicatorJSON(i), else: "Suspended \(i.draft.code) from \(date).")
        }
    }

    struct Resume: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Make a suspended indicator active again.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Indicator code.") var code: String
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let i = try await options.run("indicator resume") { db, tenant, caller in
                try await IndicatorStore(database: db).resume(code: code, province: tenant.id, caller: caller)
            }
            Output.print(json: json, indicatorJSON(i), else: "\(i.draft.code) is active again.")
        }
    }
}

func indicatorJSON(_ i: ChitieuStore.Indicator) -> [String: Any] {
    let d = i.draft
    return [
        "id": i.id, "code": d.code, "name": d.name, "name_en": d.nameEnglish ?? NSNull(), "measure_unit": d.measureUnit,
        "kind": d.kind.rawValue, "reporting_levels": d.reportingLevels.map(\.rawValue),
        "disaggregation": d.disaggregation ?? NSNull(), "companion_measure": d.companionMeasure ?? NSNull(),
        "companion_disaggregation": d.companionDisaggregation ?? NSNull(), "status": i.status, "suspended_from": i.suspendedFrom?.description ?? NSNull(), "suspended_reason": i.suspendedReason ?? NSNull(),
    ]
}

/// A disaggregation as people read it: `sex: nữ, nam; ethnicity: DTTS, Kinh`.
func disaggregationText(_ d: [String: [String]]?) -> String {
    d.map { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; ") } ?? ""
}

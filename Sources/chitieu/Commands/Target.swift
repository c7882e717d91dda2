import ArgumentParser
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// `chitieu target …`.
struct TargetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target", abstract: "Set, show and allocate targets.", subcommands: [Set.self, Show.self, Allocate.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a phase target, a yearly target, or a manual override for one unit.",
            discussion: "Without --unit it is the province's target; --lock keeps the value through every later allocation.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var province: ProvinceOption
        @Option(help: "Indicator code.") var indicator: String
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "Unit GSO code (default: the province).") var unit: String?
        @Option(help: "A year of the phase (default: the whole phase).") var year: Int?
        @Option(help: "The target: a whole number, 0 or more.") var value: Int
        @Flag(help: "Keep this value in every later allocation.") var lock = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if value < 0 { throw ValidationError("--value: \(value) is negative; a target is a count, 0 or more") }
        }

        func run() async throws {
            try await runReportingErrors {
                let cell = try await withAdminDatabase(database) { db in
                    try await TargetStore(database: db).set(
                        province: try await province.resolve(db).id, indicatorCode: indicator, phaseCode: phase, unitCode: unit, year: year,
                        value: value, lock: lock, actor: .command("target set"))
                }
                if json {
                    print(Output.json(["indicator": indicator, "phase": phase, "unit": unit ?? province.province, "year": year ?? NSNull(),
                                       "value": cell.value, "origin": cell.origin, "locked": cell.locked] as [String: Any]))
                } else {
                    print("Set \(indicator) \(phase) \(unit ?? province.province) \(year.map(String.init) ?? "phase") = \(cell.value) (\(cell.origin)\(cell.locked ? ", locked" : "")).")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tree of targets: each year, the phase, origin, locks.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var province: ProvinceOption
        @OptionGroup var output: OutputOptions
        @Option(help: "Indicator code.") var indicator: String
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "Start at this unit (GSO code).") var unit: String?
        @Option(help: "Levels below the start to show (default 1).") var depth = 1

        func run() async throws {
            try await runReportingErrors {
                let sheet = try await withAdminDatabase(database) { db in
                    try await TargetStore(database: db).sheet(province: try await province.resolve(db).id, indicatorCode: indicator, phaseCode: phase)
                }
                let years = sheet.phase.years
                var cells: [Int64: [Int?: TargetCell]] = [:]
                for cell in sheet.cells { cells[cell.unitID, default: [:]][cell.year] = cell }
                var children: [Int64: [TargetUnit]] = [:]
                for u in sheet.units { if let p = u.parentID { children[p, default: []].append(u) } }
                for k in children.keys { children[k]!.sort { $0.sortKey < $1.sortKey } }
                guard let start = unit.map({ code in sheet.units.first { $0.code == code } }) ?? sheet.units.first(where: { $0.level == .province }) else {
                    throw InputError(field: "--unit", reason: "no unit of this province has the code '\(unit ?? "")' during \(phase)")
                }
                var ordered: [(TargetUnit, Int)] = []
                func walk(_ u: TargetUnit, _ d: Int) {
                    ordered.append((u, d))
                    if d < depth { for k in children[u.id] ?? [] { walk(k, d + 1) } }
                }
                walk(start, 0)
                func value(_ u: TargetUnit, _ y: Int?) -> String {
                    guard let c = cells[u.id]?[y] else { return "" }
                    return "\(c.value)\(c.locked ? "*" : "")"
                }
                let columns = ["unit", "code"] + years.map(String.init) + ["phase", "origin"]
                let rows = ordered.map { u, d in
                    [String(repeating: "  ", count: d) + u.name, u.code] + years.map { value(u, $0) } + [value(u, nil), cells[u.id]?[nil]?.origin ?? ""]
                }
                let json = ordered.map { u, d -> [String: Any] in
                    var yearly: [String: Any] = [:]
                    for y in years { yearly[String(y)] = cells[u.id]?[y]?.value ?? NSNull() }
                    let phaseCell = cells[u.id]?[nil]
                    return [
                        "unit_code": u.code, "unit_name": u.name, "level": u.level.rawValue, "depth": d, "years": yearly,
                        "phase": phaseCell?.value ?? NSNull(), "origin": phaseCell?.origin ?? NSNull(),
                        "locked": (cells[u.id]?.values.contains { $0.locked }) ?? false,
                    ]
                }
                if output.format == .table {
                    print("\(sheet.indicator.draft.code) — \(sheet.indicator.draft.name) (\(sheet.indicator.draft.measureUnit), \(sheet.indicator.draft.kind.rawValue)\(sheet.indicator.draft.kind == .stock ? ": yearly values are cumulative milestones" : ""))\(sheet.indicator.status == "suspended" ? " — SUSPENDED" : "")")
                }
                Output.print(output.format, columns: columns, rows: rows, jsonRows: json)
                if output.format == .table { print("* locked") }
            }
        }
    }

    struct Allocate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate the province's phase targets by year and down to every district and commune, exactly.",
            discussion: "Locked cells are kept; infeasible inputs are refused naming the units and numbers, and change nothing. Rerunning with unchanged inputs changes nothing.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var province: ProvinceOption
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "Only this indicator (default: every active one).") var indicator: String?
        @Flag(help: "Wait for the allocation to finish (it runs in this process until the job runner exists).") var wait = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let report = try await withAdminDatabase(database) { db in
                    try await AllocationStore(database: db).allocate(
                        province: try await province.resolve(db).id, phaseCode: phase, indicatorCode: indicator, actor: .command("target allocate"))
                }
                if json {
                    print(Output.json([
                        "indicators": report.indicators, "skipped": report.skipped.map { ["code": $0.code, "reason": $0.reason] },
                        "cells": report.cells, "changed": report.changed, "compute_seconds": report.computeSeconds,
                        "database_seconds": report.databaseSeconds,
                    ] as [String: Any]))
                } else {
                    print("Allocated \(report.indicators.count) indicator(s): \(report.cells) cells, \(report.changed) changed.")
                    for s in report.skipped { print("skipped \(s.code): \(s.reason)") }
                }
            }
        }
    }
}

/// `chitieu allocation rule set`.
struct AllocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocation", abstract: "Allocation rules.", subcommands: [Rule.self])

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allocation rules.", subcommands: [Set.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set how a unit's target is split among its children and over the years.")
            @OptionGroup var database: DatabaseOptions
            @OptionGroup var province: ProvinceOption
            @Option(help: "Indicator code.") var indicator: String
            @Option(help: "Phase, e.g. 2021-2025.") var phase: String
            @Option(help: "The parent unit (GSO code; default: the province).") var unit: String?
            @Option(help: "equal, weighted or manual.") var method = "equal"
            @Option(help: "For weighted: a CSV file with columns unit_code,weight.") var weights: String?
            @Option(help: "For weighted: a unit attribute that weights the children (e.g. population).") var attribute: String?
            @Option(help: "At least this much for every child.") var minimum = 0
            @Option(help: "Year profile: one share per year, e.g. 1,2,2,2,1 (default: equal).") var years: String?

            func validate() throws {
                if !["equal", "weighted", "manual"].contains(method) { throw ValidationError("--method: '\(method)' is not one of equal, weighted, manual") }
                if method == "weighted" && (weights == nil) == (attribute == nil) {
                    throw ValidationError("--weights or --attribute: a weighted rule needs exactly one of them")
                }
                if minimum < 0 { throw ValidationError("--minimum: must be 0 or more") }
                if let years, years.split(separator: ",").contains(where: { Int64($0.trimmingCharacters(in: .whitespaces)) == nil }) {
                    throw ValidationError("--years: '\(years)' is not a comma-separated list of whole numbers")
                }
            }

            func run() async throws {
                try await runReportingErrors {
                    var childWeights: [String: Int64] = [:]
                    if let weights {
                        guard let data = FileManager.default.contents(atPath: weights) else {
                            throw InputError(field: "--weights", reason: "cannot read '\(weights)'")
                        }
                        childWeights = try WeightsCSV.parse(data)
                    }
                    let rule = AllocationRule(
                        childMethod: method, childWeights: childWeights,
                        yearWeights: years.map { $0.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces))! } },
                        minimumPerChild: minimum, weightAttribute: attribute)
                    try await withAdminDatabase(database) { db in
                        try await AllocationStore(database: db).setRule(
                            province: try await province.resolve(db).id, indicatorCode: indicator, phaseCode: phase, unitCode: unit, rule: rule,
                            actor: .command("allocation rule set"))
                    }
                    print("Set the \(method) rule for \(indicator) \(phase) below \(unit ?? province.province).")
                }
            }
        }
    }
}

import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuServer
import ChitieuStore
import Foundation
import Postgres

/// `--indicator CODE --phase CODE`: the indicator and phase of a target sheet.
struct IndicatorPhase: ParsableArguments {
    @Option(help: "Indicator code.") var indicator: String
    @Option(help: "Phase, e.g. 2021-2025.") var phase: String
}

/// `chitieu target …`.
struct TargetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target", abstract: "Set, show and allocate targets.", subcommands: [Set.self, Show.self, Allocate.self, Import.self, Template.self])

    struct Set: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a phase target, a yearly target, or a manual override for one unit.",
            discussion: "Without --unit it is the province's target; --lock keeps the value through every later allocation.")
        @OptionGroup var options: ProvinceActing
        @OptionGroup var chosen: IndicatorPhase
        @Option(help: "Unit GSO code (default: the province).") var unit: String?
        @Option(help: "A year of the phase (default: the whole phase).") var year: Int?
        @Option(help: "The target: a whole number, 0 or more.") var value: Int
        @Flag(help: "Keep this value in every later allocation.") var lock = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if value < 0 { throw ValidationError("--value: \(value) is negative; a target is a count, 0 or more") }
        }

        func perform() async throws {
            let cell = try await options.run("target set") { db, tenant, caller in
                try await TargetStore(database: db).set(
                    province: tenant.id, indicatorCode: chosen.indicator, phaseCode: chosen.phase, unitCode: unit, year: year,
                    value: value, lock: lock, caller: caller)
            }
            if json {
                print(Output.json(["indicator": chosen.indicator, "phase": chosen.phase, "unit": unit ?? options.province.province, "year": year ?? NSNull(),
                                   "value": cell.value, "origin": cell.origin, "locked": cell.locked] as [String: Any]))
            } else {
                print("Set \(chosen.indicator) \(chosen.phase) \(unit ?? options.province.province) \(year.map(String.init) ?? "phase") = \(cell.value) (\(cell.origin)\(cell.locked ? ", locked" : "")).")
            }
        }
    }

    struct Show: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tree of targets: each year, the phase, origin, locks.")
        @OptionGroup var options: ProvinceWork
        @OptionGroup var output: OutputOptions
        @OptionGroup var chosen: IndicatorPhase
        @Option(help: "Start at this unit (GSO code).") var unit: String?
        @Option(help: "Levels below the start to show (default 1).") var depth = 1

        func perform() async throws {
            let sheet = try await options.run { db, tenant in
                try await TargetStore(database: db).sheet(province: tenant.id, indicatorCode: chosen.indicator, phaseCode: chosen.phase)
            }
            let years = sheet.phase.years
            var cells: [Int64: [Int?: TargetCell]] = [:]
            for cell in sheet.cells { cells[cell.unitID, default: [:]][cell.year] = cell }
            var children: [Int64: [TargetUnit]] = [:]
            for u in sheet.units { if let p = u.parentID { children[p, default: []].append(u) } }
            for k in children.keys { children[k]!.sort { $0.sortKey < $1.sortKey } }
            guard let start = unit.map({ code in sheet.units.first { $0.code == code } }) ?? sheet.units.first(where: { $0.level == .province }) else {
                throw ChitieuError(.invalid, field: "--unit", reason: "no unit of this province has the code '\(unit ?? "")' during \(chosen.phase)")
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
                    "plan": sheet.phase.plan.map(Representation.phasePlan) ?? NSNull(),
                ]
            }
            if output.format == .table {
                print("\(sheet.indicator.draft.code) — \(sheet.indicator.draft.name) (\(sheet.indicator.draft.measureUnit), \(sheet.indicator.draft.kind.rawValue)\(sheet.indicator.draft.kind == .stock ? ": yearly values are cumulative milestones" : ""))\(sheet.indicator.status == "suspended" ? " — SUSPENDED" : "")")
                print("\(sheet.phase.code): \(sheet.phase.plan?.citation ?? "plan not recorded (chitieu phase plan set)")")
            }
            Output.print(output.format, columns: columns, rows: rows, jsonRows: json)
            if output.format == .table { print("* locked") }
        }
    }

    struct Allocate: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate the province's phase targets by year and down to every district and commune, exactly.",
            discussion: """
                Enqueues an allocation job (one pending job per province, phase and indicator: repeated requests
                coalesce); a worker (chitieu serve or chitieu work) runs it. With --wait the command runs the job
                itself if no worker has taken it yet, else waits for it, and prints the result. Locked cells are kept;
                infeasible inputs are refused naming the units and numbers, and change nothing. Rerunning with
                unchanged inputs changes nothing.
                """)
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "Only this indicator (default: every active one).") var indicator: String?
        @Flag(help: "Wait for the allocation and print its result.") var wait = false
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let (queued, report) = try await options.run("target allocate") { db, tenant, caller -> ((id: Int64, coalesced: Bool), AllocationReport?) in
                let store = AllocationStore(database: db)
                let queued = try await store.request(province: tenant.id, phaseCode: phase, indicatorCode: indicator, caller: caller)
                let queue = JobQueue(pool: db.pool)
                guard wait else { return (queued, nil) }
                let me = "cli:\(getpid())"
                if let job = try await queue.claim(id: queued.id, worker: me, lease: .seconds(300)) {
                    do {
                        let report = try await store.allocate(province: tenant.id, phaseCode: phase, indicatorCode: indicator, caller: caller)
                        try await queue.complete(job.id, worker: me)
                        return (queued, report)
                    } catch {
                        // Input that cannot be allocated does not get better by retrying.
                        _ = try? await queue.cancel(job.id)
                        throw error
                    }
                }
                // A worker has it: wait until it is done.
                while true {
                    let job = try await queue.find(queued.id)
                    if job.state == .succeeded { return (queued, nil) }
                    if job.state.isFinal {
                        throw ChitieuError(.invalid, field: "allocation", reason: "job \(job.id) \(job.state.rawValue): \(job.lastError ?? "")")
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            if json {
                var out: [String: Any] = ["job_id": queued.id, "coalesced": queued.coalesced]
                if let report {
                    out["indicators"] = report.indicators
                    out["skipped"] = report.skipped.map { ["code": $0.code, "reason": $0.reason] }
                    out["cells"] = report.cells
                    out["changed"] = report.changed
                    out["compute_seconds"] = report.computeSeconds
                    out["database_seconds"] = report.databaseSeconds
                    out["up_to_date"] = report.upToDate
                    out["rows_read"] = report.rowsRead
                } else {
                    out["state"] = wait ? "succeeded" : "pending"
                }
                print(Output.json(out))
            } else if let report, report.upToDate {
                print("Nothing changed since the last allocation of every indicator: nothing to compute, nothing written.")
            } else if let report {
                print("Allocated \(report.indicators.count) indicator(s): \(report.cells) cells, \(report.changed) changed.")
                let suspended = report.skipped.filter { $0.reason == "suspended" }.map(\.code)
                let untargeted = report.skipped.filter { $0.reason != "suspended" }.map(\.code)
                if !suspended.isEmpty { print("suspended, not allocated: \(suspended.joined(separator: ", "))") }
                if !untargeted.isEmpty { print("no phase target yet: \(untargeted.joined(separator: ", "))") }
            } else if wait {
                print("Job \(queued.id) was run by a worker and succeeded.")
            } else {
                print("Queued allocation job \(queued.id)\(queued.coalesced ? " (joined the one already pending)" : ""); a worker will run it (see `chitieu jobs show \(queued.id)`).")
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

        struct Set: OperatorCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set how a unit's target is split among its children and over the years.")
            @OptionGroup var options: ProvinceActing
            @OptionGroup var chosen: IndicatorPhase
            @Option(help: "The parent unit (GSO code; default: the province).") var unit: String?
            @Option(help: "equal, weighted or manual.") var method = "equal"
            @Option(help: "For weighted: a CSV file with columns unit_code,weight (whole numbers from 0 to 1000000000).") var weights: String?
            @Option(help: "For weighted: a unit attribute that weights the children (e.g. population).") var attribute: String?
            @Option(help: "At least this much for every child.") var minimum = 0
            @Option(help: "Year profile of the province's rule: one share per year, e.g. 1,2,2,2,1 (default: equal).") var years: String?

            func validate() throws {
                if !["equal", "weighted", "manual"].contains(method) { throw ValidationError("--method: '\(method)' is not one of equal, weighted, manual") }
                if method == "weighted" && (weights == nil) == (attribute == nil) {
                    throw ValidationError("--weights or --attribute: a weighted rule needs exactly one of them")
                }
                if !(0...AllocationRule.maximumMinimum).contains(minimum) {
                    throw ValidationError("--minimum: \(minimum) is not a whole number from 0 to \(AllocationRule.maximumMinimum)")
                }
                if let years, years.split(separator: ",", omittingEmptySubsequences: false).contains(where: {
                    Int64($0.trimmingCharacters(in: .whitespaces)).map { !(0...AllocationRule.maximumYearShare).contains($0) } ?? true
                }) {
                    throw ValidationError("--years: '\(years)' is not a comma-separated list of whole numbers from 0 to \(AllocationRule.maximumYearShare)")
                }
            }

            func perform() async throws {
                var childWeights: [String: Int64] = [:]
                if let weights {
                    guard let data = FileManager.default.contents(atPath: weights) else {
                        throw ChitieuError(.invalid, field: "--weights", reason: "cannot read '\(weights)'")
                    }
                    childWeights = try WeightsCSV.parse(data)
                }
                let rule = AllocationRule(
                    childMethod: method, childWeights: childWeights,
                    yearWeights: years.map { $0.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces))! } },
                    minimumPerChild: minimum, weightAttribute: attribute)
                try await options.run("allocation rule set") { db, tenant, caller in
                    try await AllocationStore(database: db).setRule(
                        province: tenant.id, indicatorCode: chosen.indicator, phaseCode: chosen.phase, unitCode: unit, rule: rule,
                        caller: caller)
                }
                print("Set the \(method) rule for \(chosen.indicator) \(chosen.phase) below \(unit ?? options.province.province).")
            }
        }
    }
}

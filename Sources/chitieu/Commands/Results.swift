import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuServer
import ChitieuStore
import Foundation
import Postgres

/// Parses `sex=nữ:30,nam:12;ethnicity=DTTS:20,Kinh:22` into a breakdown (of the count, or with
/// `option` "--companion-breakdown" of the companion figure).
func parseBreakdown(_ text: String, option: String = "--breakdown") throws -> [String: [String: Int]] {
    var out: [String: [String: Int]] = [:]
    for part in text.split(separator: ";") {
        let pieces = part.split(separator: "=", maxSplits: 1)
        guard pieces.count == 2 else { throw ValidationError("\(option): '\(part)' is not dimension=category:count,…") }
        var counts: [String: Int] = [:]
        for item in pieces[1].split(separator: ",") {
            let kv = item.split(separator: ":", maxSplits: 1)
            guard kv.count == 2, let n = Int(kv[1].trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(option): '\(item)' is not category:count")
            }
            counts[kv[0].trimmingCharacters(in: .whitespaces)] = n
        }
        out[pieces[0].trimmingCharacters(in: .whitespaces)] = counts
    }
    if let field = ResultFigures.collidingKey(in: out, field: option == "--breakdown" ? "breakdown" : "companion_breakdown") { throw ValidationError("\(option): \(field) is given twice") }
    return out
}

/// Parses `DA8-01=1,DA8-05=0.7` into a map.
func parseFactors(_ text: String, option: String) throws -> [String: Double] {
    var out: [String: Double] = [:]
    for item in text.split(separator: ",") where !item.isEmpty {
        let kv = item.split(separator: "=", maxSplits: 1)
        guard kv.count == 2, let f = Double(kv[1]) else { throw ValidationError("\(option): '\(item)' is not CODE=number") }
        out[String(kv[0])] = f
    }
    return out
}


/// The indicator id of a code, for commands that name indicators by code.
func indicatorID(_ code: String, _ db: ChitieuDatabase, _ tenant: Province) async throws -> Int64 {
    try await IndicatorStore(database: db).find(code: code, province: tenant.id).id
}

/// `chitieu result …`.
struct ResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result", abstract: "Report, submit, approve, return and correct results.",
        subcommands: [Add.self, List.self, Submit.self, Approve.self, Return.self, Correct.self, Generate.self, Import.self, Template.self])

    struct Add: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Record a result of a unit for an indicator and a period (a draft, or --submit).")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Indicator code.") var indicator: String
        @Option(help: "GSO code of the reporting unit.") var unit: String
        @Option(help: "First day of the period (YYYY-MM-DD).") var from: String
        @Option(help: "Last day of the period (YYYY-MM-DD, same year).") var to: String
        @Option(help: "The count (for stock indicators, the level at the end of the period).") var value: Int
        @Option(help: "Breakdown, e.g. 'sex=nữ:30,nam:12'.") var breakdown: String?
        @Option(help: "Companion figure (members, participants).") var companion: Int?
        @Option(help: "Breakdown of the companion figure, e.g. 'sex=nữ:14,nam:9' (members by sex).") var companionBreakdown: String?
        @Option(help: "Evidence note.") var note: String?
        @Option(help: "Idempotency key: a retry with the same key records nothing new.") var idempotencyKey: String?
        @Flag(help: "Submit at once.") var submit = false
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let start = try parseDate(from, option: "--from")
            let end = try parseDate(to, option: "--to")
            let parts = try breakdown.map { try parseBreakdown($0) }
            let companionParts = try companionBreakdown.map { try parseBreakdown($0, option: "--companion-breakdown") }
            let (record, replayed) = try await options.run("result add") { db, tenant, caller in
                let input = ResultInput(
                    indicatorID: try await indicatorID(indicator, db, tenant), unit: .code(unit), periodStart: start, periodEnd: end,
                    figures: ResultFigures(
                        value: value, breakdown: parts, companionValue: companion, companionBreakdown: companionParts, evidenceNote: note))
                return try await ResultStore(database: db).create(
                    province: tenant.id, input, submit: submit, idempotencyKey: idempotencyKey, caller: caller)
            }
            Output.print(json: json, Representation.result(record), else: "\(replayed ? "Already recorded" : "Recorded") result \(record.id.uuidString.lowercased()) (\(record.state.rawValue)): \(record.indicatorCode) \(record.unitCode) \(record.unitName) \(record.periodStart)…\(record.periodEnd) = \(record.figures.value).")
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List results, newest first.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Only this indicator.") var indicator: String?
        @Option(help: "Only this unit and below (GSO code).") var unit: String?
        @Option(help: "draft, submitted, approved or returned.") var state: String?
        @Option(help: "Only this year.") var year: Int?
        @Option(help: "At most this many (1-1000).") var limit = 100
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let state, ResultRules.State(rawValue: state) == nil { throw ValidationError("--state: '\(state)' is not draft, submitted, approved or returned") }
        }

        func perform() async throws {
            let records = try await options.run("result list") { db, tenant, caller in
                var unitID: Int64?
                if let unit { unitID = try await db.withTenant(tenant.id) { tx in try await tx.resolve.unit(.code(unit), field: "--unit").id } }
                var indicatorFilter: Int64?
                if let indicator { indicatorFilter = try await indicatorID(indicator, db, tenant) }
                let filter = ResultStore.Filter(
                    indicatorID: indicatorFilter, unitID: unitID,
                    state: state.flatMap(ResultRules.State.init(rawValue:)), year: year, limit: limit)
                return try await ResultStore(database: db).list(province: tenant.id, filter: filter, caller: caller)
            }
            Output.print(
                output.format, columns: ["id", "indicator", "unit", "name", "from", "to", "value", "state"],
                rows: records.map { [$0.id.uuidString.lowercased(), $0.indicatorCode, $0.unitCode, $0.unitName, $0.periodStart.description, $0.periodEnd.description, String($0.figures.value), $0.state.rawValue] },
                jsonRows: records.map(Representation.result))
        }
    }

    /// A move on one result: the province, the caller and the result's id.
    struct Move: ParsableArguments {
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Result id.") var id: String

        func uuid() throws -> UUID {
            guard let id = UUID(uuidString: id) else { throw ChitieuError(.invalid, field: "id", reason: "'\(id.prefix(60))' is not a result id") }
            return id
        }

        /// Runs `action` on the result as the caller of `command`, then says the result's new state.
        func perform(
            _ command: String, _ done: String, _ action: @escaping @Sendable (ResultStore, Int64, UUID, Caller) async throws -> ResultRecord
        ) async throws {
            let r = try await options.run(command) { db, tenant, caller in try await action(ResultStore(database: db), tenant.id, try uuid(), caller) }
            print("Result \(r.id.uuidString.lowercased()) is \(done).")
        }
    }

    struct Submit: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a draft or returned result.")
        @OptionGroup var move: Move

        func perform() async throws { try await move.perform("result submit", "submitted") { try await $0.submit(province: $1, id: $2, caller: $3) } }
    }

    struct Approve: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a submitted result of a unit below.")
        @OptionGroup var move: Move

        func perform() async throws { try await move.perform("result approve", "approved") { try await $0.approve(province: $1, id: $2, caller: $3) } }
    }

    struct Return: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Return a submitted result to its unit, with the reason.")
        @OptionGroup var move: Move
        @Option(help: "Why, e.g. 'Thiếu danh sách học viên'.") var reason: String

        func perform() async throws {
            let reason = reason
            try await move.perform("result return", "returned") { try await $0.giveBack(province: $1, id: $2, reason: reason, caller: $3) }
        }
    }

    struct Correct: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Correct an approved result (the approving level); the old figures stay in the audit log.")
        @OptionGroup var move: Move
        @Option(help: "The corrected count.") var value: Int
        @Option(help: "Breakdown, e.g. 'sex=nữ:30,nam:12'.") var breakdown: String?
        @Option(help: "Companion figure.") var companion: Int?
        @Option(help: "Breakdown of the companion figure, e.g. 'sex=nữ:14,nam:9'.") var companionBreakdown: String?
        @Option(help: "Why.") var reason: String

        func perform() async throws {
            let parts = try breakdown.map { try parseBreakdown($0) }
            let companionParts = try companionBreakdown.map { try parseBreakdown($0, option: "--companion-breakdown") }
            let r = try await move.options.run("result correct") { db, tenant, caller in
                try await ResultStore(database: db).correct(
                    province: tenant.id, id: try move.uuid(),
                    figures: ResultFigures(value: value, breakdown: parts, companionValue: companion, companionBreakdown: companionParts),
                    reason: reason, caller: caller)
            }
            print("Result \(r.id.uuidString.lowercased()) is corrected to \(r.figures.value).")
        }
    }

    struct Generate: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write plausible approved results from the allocated targets (demo data, benchmarks).",
            discussion: """
                Each indicator is reported at the lowest level that reports it, for every past year of the phase, --per-year
                times a year. A unit reports its target times the indicator's completion factor (--completion DA8-01=1,DA8-05=0.7;
                others --default-completion), varied per unit below 1; --companion DA8-01=9 gives 9 members per team.
                Results it generated before for the phase are replaced; completion is computed at the end.
                """)
        @OptionGroup var options: ProvinceWork
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "Completion factors per indicator code.") var completion = ""
        @Option(help: "Completion factor of the others.") var defaultCompletion = 0.8
        @Option(help: "Companion figure per counted unit, per indicator code.") var companion = ""
        @Option(help: "Results per unit and year: 1, 2, 3, 4, 6 or 12.") var perYear = 1

        func perform() async throws {
            let profile = ResultGenerator.Profile(
                completion: try parseFactors(completion, option: "--completion"), defaultCompletion: defaultCompletion,
                companion: try parseFactors(companion, option: "--companion").mapValues { Int($0) }, perYear: perYear)
            let written = try await options.run { db, tenant in
                try await ResultGenerator(database: db).generate(province: tenant.id, phaseCode: phase, profile: profile, actor: .command("result generate"))
            }
            print("Generated \(written) approved results for \(phase).")
        }
    }
}

/// `chitieu progress …`.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress", abstract: "Completion: show it, compute it now.", subcommands: [Show.self, Compute.self, Summary.self])

    struct Show: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Completion per indicator and unit, for the phase or a year.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "One year of the phase (default: the whole phase).") var year: Int?
        @Option(help: "Start at this unit (GSO code; default: the province).") var unit: String?
        @Option(help: "Levels below the start to show (default 0: the start only).") var depth = 0
        @Option(help: "Only this indicator.") var indicator: String?
        @Option(
            name: .customLong("as-of-units"),
            help: "Show the figures on the units valid on this day (YYYY-MM-DD): units that ended carry their targets and results to their successors.")
        var asOfUnits: String?
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let asOf = try asOfUnits.map { try parseDate($0, option: "--as-of-units") }
            let figures = try await options.run("progress show") { db, tenant, caller in
                if let asOf {
                    let result = try await ProgressStore(database: db).figuresOnUnits(
                        province: tenant.id, phaseCode: phase, asOf: asOf, year: year, unit: unit.map(UnitReference.code), depth: depth,
                        indicatorCode: indicator, caller: caller)
                    if !result.unplaced.isEmpty {
                        FileHandle.standardError.write(Data("note: units without a successor, not counted: \(result.unplaced.joined(separator: ", "))\n".utf8))
                    }
                    return result.figures
                }
                return try await ProgressStore(database: db).figures(
                    province: tenant.id, phaseCode: phase, year: year, unit: unit.map(UnitReference.code), depth: depth, indicatorCode: indicator,
                    caller: caller)
            }
            Output.print(
                output.format, columns: ["indicator", "unit", "name", "target", "achieved", "rate", "with submitted", "companion", "status"],
                rows: figures.map { f in
                    [f.indicatorCode, f.unitCode, String(repeating: "  ", count: max(0, f.unitLevel.depth)) + f.unitName,
                     f.target.map(String.init) ?? "–", String(f.achieved), f.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "–",
                     String(f.achievedWithSubmitted), f.companion.map { "\($0) \(f.companionMeasure ?? "")" } ?? "", f.status.rawValue]
                },
                jsonRows: figures.map(Representation.progress))
        }
    }

    struct Compute: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Compute completion now (jobs do it after every decision and every night).")
        @OptionGroup var options: ProvinceWork
        @Option(help: "Phase (default: every phase).") var phase: String?

        func perform() async throws {
            let changed = try await options.run { db, tenant in
                let phases = try await ProgressStore(database: db).phaseIDs(province: tenant.id, code: phase)
                guard !phases.isEmpty else { throw ChitieuError(.invalid, field: "--phase", reason: "the province has no phase '\(phase ?? "")'") }
                var changed = 0
                for id in phases { changed += try await ProgressStore(database: db).compute(province: tenant.id, phaseID: id) }
                return changed
            }
            print("Completion computed: \(changed) figures changed.")
        }
    }

    struct Summary: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per phase, for the province (or each unit of the --as account's grants): indicators completed, on track, behind, suspended.")
        @OptionGroup var options: ProvinceActing
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            try await options.list(
                "progress summary", output, columns: ["unit", "phase", "indicators", "completed", "on track", "behind", "suspended"],
                row: { ["\($0.unitName) (\($0.unitCode))", $0.phase, String($0.indicators), String($0.completed), String($0.onTrack), String($0.behind), String($0.suspended)] },
                json: Representation.progressSummary
            ) { db, tenant, caller in try await ProgressStore(database: db).summary(province: tenant.id, caller: caller) }
        }
    }
}


/// `chitieu deadline …`.
struct DeadlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline", abstract: "Reporting deadlines and exceptions.", subcommands: [Set.self, Exception.self])

    struct Set: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Set the day a year's results close (default 25 January of the next year).")
        @OptionGroup var options: ProvinceActing
        @Option(help: "The year reported.") var year: Int
        @Option(help: "Last day results of the year are taken (YYYY-MM-DD).") var closesOn: String

        func perform() async throws {
            let day = try parseDate(closesOn, option: "--closes-on")
            try await options.run("deadline set") { db, tenant, caller in
                try await ResultStore(database: db).setDeadline(province: tenant.id, year: year, closesOn: day, caller: caller)
            }
            print("Results of \(year) close on \(day).")
        }
    }

    struct Exception: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen reporting of a year for a unit and its subtree until a day.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "GSO code of the unit.") var unit: String
        @Option(help: "The year reported.") var year: Int
        @Option(help: "Last day of the exception (YYYY-MM-DD).") var until: String
        @Option(help: "Why.") var reason: String

        func perform() async throws {
            let day = try parseDate(until, option: "--until")
            let id = try await options.run("deadline exception") { db, tenant, caller in
                try await ResultStore(database: db).openException(
                    province: tenant.id, unit: .code(unit), year: year, until: day, reason: reason, caller: caller)
            }
            print("Exception \(id): unit \(unit) may report \(year) until \(day).")
        }
    }
}

/// `chitieu export progress`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Reports for spreadsheets.", subcommands: [Progress.self])

    struct Progress: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Completion as an Excel workbook (one sheet per level) or CSV, with Vietnamese headers and numbers as numbers.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Phase, e.g. 2021-2025.") var phase: String
        @Option(help: "One year (default: the whole phase).") var year: Int?
        @Option(help: "xlsx or csv.") var format = "xlsx"
        @Option(help: "The file to write.") var out: String

        func validate() throws {
            if !["xlsx", "csv"].contains(format) { throw ValidationError("--format: '\(format)' is neither xlsx nor csv") }
        }

        func perform() async throws {
            let (figures, plan) = try await options.run("export progress") { db, tenant, caller in
                let figures = try await ProgressStore(database: db).figures(
                    province: tenant.id, phaseCode: phase, year: year, unit: nil, depth: 3, caller: caller)
                return (figures, try await TargetStore(database: db).phase(province: tenant.id, code: phase, caller: caller).plan)
            }
            let data = ProgressExport(figures: figures, phaseCode: phase, plan: plan).data(format == "xlsx" ? .xlsx : .csv)
            guard FileManager.default.createFile(atPath: out, contents: data) else {
                throw ChitieuError(.invalid, field: "--out", reason: "cannot write '\(out)'")
            }
            print("Wrote \(figures.count) rows to \(out).")
        }
    }
}

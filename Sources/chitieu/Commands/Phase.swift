import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuServer
import ChitieuStore
import Foundation
import Postgres

/// `chitieu phase …`: a province's planning phases and the plans that set their targets.
struct PhaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phase", abstract: "A province's phases and the plan that set each phase's targets.", subcommands: [Plan.self])

    /// `chitieu phase plan …`.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record and show the plan (number, date, issuer) that set a phase's targets.", subcommands: [Set.self, Show.self])

        struct Set: OperatorCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record the plan that set a phase's targets, replacing the one recorded before.",
                discussion: "E.g. --number 355/KH-UBND --date 2022-10-24 --issuer \"UBND tỉnh Lào Cai\": Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai.")
            @OptionGroup var options: ProvinceActing
            @Option(help: "Phase, e.g. 2021-2025.") var phase: String
            @Option(help: "The plan's number, e.g. 355/KH-UBND.") var number: String
            @Option(help: "The day it was issued (YYYY-MM-DD).") var date: String
            @Option(help: "Who issued it, e.g. \"UBND tỉnh Lào Cai\".") var issuer: String
            @Option(help: "Its title (optional).") var title: String?
            @Flag(help: "Print JSON.") var json = false

            func perform() async throws {
                let plan = PhasePlan(number: number, date: CalendarDate(try parseDate(date, option: "--date")), issuer: issuer, title: title)
                let recorded = try await options.run("phase plan set") { db, tenant, caller in
                    try await TargetStore(database: db).setPlan(
                        province: tenant.id, phaseCode: phase, plan: plan, caller: caller)
                }
                Output.print(json: json, Representation.phase(recorded), else: "Phase \(recorded.code): \(plan.citation).")
            }
        }

        struct Show: OperatorCommand {
            static let configuration = CommandConfiguration(abstract: "Show the plan that set a phase's targets.")
            @OptionGroup var options: ProvinceActing
            @Option(help: "Phase, e.g. 2021-2025.") var phase: String
            @Flag(help: "Print JSON.") var json = false

            func perform() async throws {
                let found = try await options.run("phase plan show") { db, tenant, caller in
                    try await TargetStore(database: db).phase(
                        province: tenant.id, code: phase, caller: caller)
                }
                Output.print(json: json, Representation.phase(found), else: Output.fields(PhaseCommand.planLines(found)), terminator: "")
            }
        }
    }

    /// A phase and its plan, for people: dates as dd/mm/yyyy.
    static func planLines(_ phase: Phase) -> [(name: String, value: String)] {
        guard let plan = phase.plan else { return [("phase", phase.code), ("plan", "not recorded (chitieu phase plan set)")] }
        var lines: [(name: String, value: String)] = [
            ("phase", phase.code), ("plan", plan.citation), ("number", plan.number), ("date", plan.date.dayMonthYear), ("issuer", plan.issuer),
        ]
        if let title = plan.title { lines.append(("title", title)) }
        return lines
    }
}

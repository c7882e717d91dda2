import ArgumentParser
import ChitieuCommandSupport
import NIOCore
import NIOPosix

/// `chitieu`: the daemon and the admin commands, in one executable (the benchmarks are `chitieu-bench`).
@main
struct Chitieu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chitieu",
        abstract: "Plan, allocate and track the targets (chỉ tiêu) of a national programme, province by province.",
        discussion: """
            Database: --database-url, else CHITIEU_DATABASE_URL, else DATABASE_URL, else libpq's PG* variables.
            Operator commands that need the owner's rights (db migrate, tenant create, units import) use
            CHITIEU_ADMIN_DATABASE_URL first when it is set.
            """,
        subcommands: [
            Serve.self, Work.self, DB.self, Tenant.self, Units.self, IndicatorCommand.self, PhaseCommand.self, TargetCommand.self, AllocationCommand.self,
            ResultCommand.self, ProgressCommand.self, DeadlineCommand.self, ExportCommand.self, ReportCommand.self,
            AccountCommand.self, GrantCommand.self, TokenCommand.self, ReportingCommand.self, AuditCommand.self, Jobs.self, DoctorCommand.self,
        ]
    )

    /// Runs the command; usage errors exit with 2 (not 64), as operators' scripts expect.
    static func main() async {
        await parseAndRun { command in
            // A daemon without job workers runs its tasks on NIO's event loops, where its I/O is:
            // no switch between Swift's global pool and an event loop for every request. With
            // workers beside it, a long job (a large province's allocation) would hold a loop, so
            // its tasks stay on Swift's pool; run jobs with `chitieu work` to have both.
            if let serve = command as? Serve, serve.runsWithoutWorkers {
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
        }
    }
}

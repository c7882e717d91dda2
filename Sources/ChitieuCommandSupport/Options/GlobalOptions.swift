package import ArgumentParser
import ChitieuServer
import Foundation
package import Logging
import Postgres

/// Options every command that talks to the database shares.
package struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection string or URL (default: CHITIEU_DATABASE_URL, DATABASE_URL, then PG* variables).")
    package var databaseURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: CHITIEU_LOG_LEVEL or info).")
    package var logLevel: String?

    package init() {}

    /// The connection string for the daemon's role.
    package var appConnectionString: String {
        databaseURL ?? PostgresConfiguration.connectionString(fromEnvironment: ["CHITIEU_DATABASE_URL", "DATABASE_URL"])
    }

    /// The connection string for operator work that needs the owner's rights.
    package var adminConnectionString: String {
        databaseURL ?? PostgresConfiguration.connectionString(fromEnvironment: ["CHITIEU_ADMIN_DATABASE_URL", "CHITIEU_DATABASE_URL", "DATABASE_URL"])
    }

    package func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// A logger writing logfmt lines to standard error.
    package func makeLogger(label: String = "chitieu", defaultLevel: Logger.Level = .info) -> Logger {
        let env = ProcessInfo.processInfo.environment["CHITIEU_LOG_LEVEL"]
        let level = (logLevel ?? env).flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        return Logger(label: label) { label in LogfmtLogHandler(label: label, level: level) }
    }
}

/// How a listing is printed.
package enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// The output format flags, shared by listing commands.
package struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (for scripts).")
    package var json = false
    @Flag(name: .long, help: "Print CSV (for spreadsheets).")
    package var csv = false

    package init() {}

    package var format: OutputFormat { json ? .json : csv ? .csv : .table }

    package func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together") }
    }
}

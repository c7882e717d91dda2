import ArgumentParser
import ChitieuDomain
import ChitieuStore
package import Postgres

/// Turns the errors operators can meet into one clear line and exit code 1.
package func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CSVFileError {
        Output.note("error: \(error); nothing was imported")
        throw ExitCode(1)
    } catch where error is ChitieuError || error is PostgresError || error is MigrationError || error is SQLDirectoryError {
        Output.note("error: \(error)")
        throw ExitCode(1)
    }
}

/// Parses a `YYYY-MM-DD` option value.
package func parseDate(_ text: String, option: String) throws -> PostgresDate {
    guard let date = PostgresDate(text) else {
        throw ValidationError("\(option): '\(text)' is not a date (YYYY-MM-DD)")
    }
    return date
}

package import ArgumentParser
package import ChitieuStore

/// `--database-url`, `--log-level`, `--province` and `--as`: the options of a command that works
/// on one province as the operator or as one of its accounts.
package struct ProvinceActing: ParsableArguments {
    @OptionGroup package var database: DatabaseOptions
    @OptionGroup package var province: ProvinceOption
    @OptionGroup package var acting: ActingOption

    package init() {}

    /// Runs `body` on the province over a small pool with the owner's rights, with the caller of
    /// `command`: the operator, or the account named by `--as`.
    package func run<T: Sendable>(
        _ command: String, _ body: (ChitieuDatabase, Province, Caller) async throws -> T
    ) async throws -> T {
        try await province.withProvince(database) { db, tenant in
            try await body(db, tenant, try await acting.caller(command, db, tenant))
        }
    }

    /// Runs `read` as the caller of `command`, then prints the rows read as `output` asks: under
    /// `columns`, each by `row`, for people; each by `json` for scripts.
    package func list<Row: Sendable>(
        _ command: String, _ output: OutputOptions, columns: [String], row: (Row) -> [String], json: (Row) -> [String: Any],
        read: (ChitieuDatabase, Province, Caller) async throws -> [Row]
    ) async throws {
        let rows = try await run(command, read)
        Output.print(output.format, columns: columns, rows: rows.map(row), jsonRows: rows.map(json))
    }
}

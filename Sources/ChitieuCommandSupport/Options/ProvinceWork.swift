package import ArgumentParser
package import ChitieuStore

/// `--database-url`, `--log-level` and `--province`: the options of operator work on one
/// province that needs no caller of the province (`ProvinceActing` adds `--as`).
package struct ProvinceWork: ParsableArguments {
    @OptionGroup package var database: DatabaseOptions
    @OptionGroup package var province: ProvinceOption

    package init() {}

    /// Runs `body` on the province over a small pool with the owner's rights.
    package func run<T: Sendable>(_ body: (ChitieuDatabase, Province) async throws -> T) async throws -> T {
        try await province.withProvince(database, body)
    }
}

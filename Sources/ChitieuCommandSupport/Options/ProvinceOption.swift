package import ArgumentParser
package import ChitieuStore

/// Shared `--province CODE` option: the tenant by its GSO code.
package struct ProvinceOption: ParsableArguments {
    @Option(help: "GSO province code (e.g. 10).") package var province: String

    package init() {}

    /// Resolves the code to the tenant.
    package func resolve(_ db: ChitieuDatabase) async throws -> Province {
        try await TenantStore(database: db).resolve(code: province)
    }

    /// Runs operator work on this province, over a small pool with the owner's rights.
    package func withProvince<T: Sendable>(
        _ options: DatabaseOptions, _ body: (ChitieuDatabase, Province) async throws -> T
    ) async throws -> T {
        try await withAdminDatabase(options) { db in try await body(db, try await resolve(db)) }
    }
}

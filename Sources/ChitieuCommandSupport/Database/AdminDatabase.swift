package import ChitieuStore
import Postgres

/// Runs operator work on a small pool connected with the owner's rights, closed afterwards.
package func withAdminDatabase<T: Sendable>(
    _ options: DatabaseOptions, connections: Int = 2, _ body: (ChitieuDatabase) async throws -> T
) async throws -> T {
    let database = ChitieuDatabase(
        pool: PostgresPool(
            configuration: PostgresConfiguration(connectionString: options.adminConnectionString, maxConnections: connections),
            logger: options.makeLogger(defaultLevel: .warning)))
    do {
        let value = try await body(database)
        await database.pool.shutdown()
        return value
    } catch {
        await database.pool.shutdown()
        throw error
    }
}

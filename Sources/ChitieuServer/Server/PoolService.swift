public import Postgres
public import ServiceLifecycle

/// Runs beside the server and closes the connection pool on graceful shutdown, after the
/// server has finished its in-flight requests.
public struct PoolService: Service {
    let pool: PostgresPool

    /// Wraps a pool.
    public init(pool: PostgresPool) { self.pool = pool }

    public func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}

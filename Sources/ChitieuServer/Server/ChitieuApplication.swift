public import ChitieuStore
public import Hummingbird
public import Logging
import Postgres
public import ServiceLifecycle

/// Builds the daemon's HTTP application.
public enum ChitieuApplication {
    /// The router with every route of the daemon.
    public static func router(database: ChitieuDatabase, migrations: MigrationSet, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLoggingMiddleware())
        let health = HealthController(database: database, migrations: migrations)
        health.addRoutes(to: router)
        return router
    }

    /// The application: the router on the configured address. The pool is closed when the
    /// application shuts down.
    /// `services` (job workers) run beside the server. Services stop in reverse order, so the pool,
    /// listed first, closes last.
    public static func make(
        configuration: ServerConfiguration, database: ChitieuDatabase, migrations: MigrationSet, services: [any Service] = [],
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router(database: database, migrations: migrations, logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "chitieu"),
            services: [PoolService(pool: database.pool)] + services,
            logger: logger)
    }
}

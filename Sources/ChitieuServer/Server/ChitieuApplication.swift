public import ChitieuStore
public import Hummingbird
public import Logging
import Postgres
import HummingbirdCore
import NIOCore
public import ServiceLifecycle

/// Builds the daemon's HTTP application.
public enum ChitieuApplication {
    /// The router with every route of the daemon.
    public static func router(
        configuration: ServerConfiguration, database: ChitieuDatabase, migrations: MigrationSet, metrics: ServerMetrics = ServerMetrics(),
        tokenCache: TokenCache? = nil, figuresCache: FiguresCache? = nil, logger: Logger
    ) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ClientAddressMiddleware(trusted: configuration.trustedProxies))
        router.add(middleware: RequestLoggingMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: StatementDeadlineMiddleware(deadline: configuration.statementDeadline))
        HealthController(database: database, migrations: migrations).addRoutes(to: router)
        MetricsController(metrics: metrics, database: database).addRoutes(to: router)
        OpenAPIDocument.addRoutes(to: router)

        let authenticator = Authenticator(
            database: database, limits: configuration.loginLimits, sessionSeconds: configuration.sessionSeconds,
            passwordParameters: configuration.passwordParameters, cache: tokenCache)
        let accounts = AccountStore(database: database, passwordParameters: configuration.passwordParameters, cache: tokenCache)
        let sessions = SessionsController(authenticator: authenticator, accounts: accounts)
        sessions.addPublicRoutes(to: router.group("v1"))

        let v1 = router.group("v1").add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        sessions.addRoutes(to: v1)
        UnitsController(units: UnitDirectory(database: database)).addRoutes(to: v1)
        IndicatorsController(indicators: IndicatorStore(database: database)).addRoutes(to: v1)
        AccountsController(accounts: accounts, authenticator: authenticator).addRoutes(to: v1)
        AuditController(audit: AuditStore(database: database)).addRoutes(to: v1)
        ResultsController(results: ResultStore(database: database), progress: ProgressStore(database: database, cache: figuresCache)).addRoutes(to: v1)
        CompletenessController(completeness: CompletenessStore(database: database)).addRoutes(to: v1)
        PlanningController(
            targets: TargetStore(database: database), allocation: AllocationStore(database: database),
            settings: ProvinceSettingsStore(database: database, cache: tokenCache)
        ).addRoutes(to: v1)
        JobsController(jobs: ProvinceJobs(database: database)).addRoutes(to: v1)
        ExportController(progress: ProgressStore(database: database, cache: figuresCache), targets: TargetStore(database: database)).addRoutes(to: v1)
        ReportsController(progress: ProgressStore(database: database, cache: figuresCache)).addRoutes(to: v1)
        ImportsController(imports: ImportStore(database: database)).addRoutes(to: v1)
        WebRoutes.add(to: router, services: WebServices(
            database: database, authenticator: authenticator, progress: ProgressStore(database: database, cache: figuresCache),
            sessionSeconds: configuration.sessionSeconds, accounts: accounts,
            settings: ProvinceSettingsStore(database: database, cache: tokenCache)))
        return router
    }

    /// The application: the router on the configured address. The pool is closed when the
    /// application shuts down.
    /// `services` (job workers) run beside the server; give them the same `metrics` so `/metrics`
    /// shows their jobs. Services stop in reverse order, so the pool,
    /// listed first, closes last.
    public static func make(
        configuration: ServerConfiguration, database: ChitieuDatabase, migrations: MigrationSet, services: [any Service] = [],
        metrics: ServerMetrics = ServerMetrics(), logger: Logger
    ) -> some ApplicationProtocol {
        // Verified tokens and progress answers are kept only with a listener that hears of changes to them.
        let tokenCache = configuration.tokenCacheSeconds > 0 ? TokenCache(lifetime: .seconds(configuration.tokenCacheSeconds)) : nil
        let figuresCache = configuration.figuresCacheSeconds > 0 ? FiguresCache(lifetime: .seconds(configuration.figuresCacheSeconds)) : nil
        let caches: [any AnnouncedInvalidation] = [tokenCache as (any AnnouncedInvalidation)?, figuresCache].compactMap { $0 }
        let cacheService = CacheInvalidationService(caches: caches, configuration: database.pool.configuration, logger: logger)
        return Application(
            router: router(
                configuration: configuration, database: database, migrations: migrations, metrics: metrics, tokenCache: tokenCache,
                figuresCache: figuresCache, logger: logger),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [RequestDeadlineHandler(limits: configuration.connectionLimits, logger: logger)],
                idleTimeout: TimeAmount(configuration.connectionLimits.idle))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "chitieu",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.connectionLimits.maxConnections, logger: logger)),
            services: [PoolService(pool: database.pool)] + (caches.isEmpty ? [] : [cacheService]) + services,
            logger: logger)
    }
}

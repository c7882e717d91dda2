import ArgumentParser
import ChitieuCommandSupport
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import Foundation
import Hummingbird
import Logging
import Postgres
import ServiceLifecycle

/// `chitieu serve`: the daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP daemon (stops cleanly on SIGTERM or SIGINT).",
        discussion: """
            Settings: --host/CHITIEU_HOST (127.0.0.1), --port/CHITIEU_PORT (8080), --pool-size/CHITIEU_POOL_SIZE (10),
            --workers/CHITIEU_WORKERS (2), --session-hours/CHITIEU_SESSION_HOURS (12), --login-failures/CHITIEU_LOGIN_FAILURES (5 per
            account and 50 per client address in 15 minutes), --trusted-proxies/CHITIEU_TRUSTED_PROXIES (none),
            --token-cache-seconds/CHITIEU_TOKEN_CACHE_SECONDS (60; 0 checks every token in the database),
            --figures-cache-seconds/CHITIEU_FIGURES_CACHE_SECONDS (300; 0 reads every progress answer from the database),
            --statement-deadline/CHITIEU_STATEMENT_DEADLINE_SECONDS (10), --statement-timeout/CHITIEU_STATEMENT_TIMEOUT_SECONDS (60),
            --http-idle-seconds/CHITIEU_HTTP_IDLE_SECONDS (60), --http-head-seconds/CHITIEU_HTTP_HEAD_SECONDS (10),
            --http-body-seconds/CHITIEU_HTTP_BODY_SECONDS (30), --http-max-connections/CHITIEU_HTTP_MAX_CONNECTIONS (1024).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to bind (default: CHITIEU_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: CHITIEU_PORT or 8080).")
    var port: Int?

    @Option(help: "Most database connections (default: CHITIEU_POOL_SIZE or 10).")
    var poolSize: Int?

    @Option(help: "Job workers beside the server, 0 to disable (default: CHITIEU_WORKERS or 2).")
    var workers: Int?

    @Option(help: "Lifetime of a login's token in hours (default: CHITIEU_SESSION_HOURS or 12).")
    var sessionHours: Int?

    @Option(help: "Failed logins allowed per account in 15 minutes before it is blocked (default: CHITIEU_LOGIN_FAILURES or 5; 10 times as many per client address).")
    var loginFailures: Int?

    @Option(help: "Addresses of reverse proxies whose X-Forwarded-For is believed, comma-separated (default: CHITIEU_TRUSTED_PROXIES or none).")
    var trustedProxies: String?

    @Option(help: "Seconds a verified bearer token is trusted without asking the database, 0 to 60; changes to tokens, accounts and grants are announced and apply at once (default: CHITIEU_TOKEN_CACHE_SECONDS or 60).")
    var tokenCacheSeconds: Int?

    @Option(help: "Seconds a progress answer is kept in memory at most, 0 to 3600; recomputed figures and changed units are announced and apply at once (default: CHITIEU_FIGURES_CACHE_SECONDS or 300).")
    var figuresCacheSeconds: Int?

    @Option(help: "Seconds a request's database statement may wait for an answer before the request answers 503 and the connection is closed, 0 for no limit (default: CHITIEU_STATEMENT_DEADLINE_SECONDS or 10).")
    var statementDeadline: Int?

    @Option(help: "PostgreSQL's statement_timeout, in seconds, on the daemon's connections (requests and its job workers), 0 for none (default: CHITIEU_STATEMENT_TIMEOUT_SECONDS or 60).")
    var statementTimeout: Int?

    @Option(help: "Seconds an HTTP connection may stay open with no request under way (default: CHITIEU_HTTP_IDLE_SECONDS or 60).")
    var httpIdleSeconds: Int?

    @Option(help: "Seconds a request's head may take to arrive from its first byte (default: CHITIEU_HTTP_HEAD_SECONDS or 10).")
    var httpHeadSeconds: Int?

    @Option(help: "Seconds a request's body may take to arrive from its head (default: CHITIEU_HTTP_BODY_SECONDS or 30).")
    var httpBodySeconds: Int?

    @Option(help: "Most HTTP connections open at once; more wait until one closes (default: CHITIEU_HTTP_MAX_CONNECTIONS or 1024).")
    var httpMaxConnections: Int?

    /// `--workers 0` (or `CHITIEU_WORKERS=0`): the daemon runs no jobs itself.
    var runsWithoutWorkers: Bool {
        (workers ?? ProcessInfo.processInfo.environment["CHITIEU_WORKERS"].flatMap(Int.init) ?? 2) == 0
    }

    func validate() throws {
        if let tokenCacheSeconds, !(0...60).contains(tokenCacheSeconds) { throw ValidationError("--token-cache-seconds: must be between 0 and 60") }
        if let figuresCacheSeconds, !(0...3600).contains(figuresCacheSeconds) { throw ValidationError("--figures-cache-seconds: must be between 0 and 3600") }
        if let sessionHours, !(1...720).contains(sessionHours) { throw ValidationError("--session-hours: must be between 1 and 720") }
        if let loginFailures, !(1...1000).contains(loginFailures) { throw ValidationError("--login-failures: must be between 1 and 1000") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port: \(port) is not a port number (0-65535)") }
        if let poolSize, poolSize < 1 { throw ValidationError("--pool-size: must be at least 1") }
        if let workers, workers < 0 { throw ValidationError("--workers: must be 0 or more") }
        for (name, value, range) in [
            ("--statement-deadline", statementDeadline, 0...3600), ("--statement-timeout", statementTimeout, 0...86_400),
            ("--http-idle-seconds", httpIdleSeconds, 1...3600), ("--http-head-seconds", httpHeadSeconds, 1...3600),
            ("--http-body-seconds", httpBodySeconds, 1...3600), ("--http-max-connections", httpMaxConnections, 1...1_000_000),
        ] {
            if let value, !range.contains(value) { throw ValidationError("\(name): must be between \(range.lowerBound) and \(range.upperBound)") }
        }
    }

    /// A whole-number setting: its flag, else its variable when in range, else the default.
    private static func setting(_ flag: Int?, _ variable: String, in range: ClosedRange<Int>, default value: Int) -> Int {
        if let flag { return flag }
        if let text = ProcessInfo.processInfo.environment[variable], let number = Int(text), range.contains(number) { return number }
        return value
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.host = host ?? env["CHITIEU_HOST"] ?? configuration.host
        configuration.port = port ?? env["CHITIEU_PORT"].flatMap(Int.init) ?? configuration.port
        if let seconds = tokenCacheSeconds ?? env["CHITIEU_TOKEN_CACHE_SECONDS"].flatMap(Int.init), (0...60).contains(seconds) {
            configuration.tokenCacheSeconds = seconds
        }
        if let seconds = figuresCacheSeconds ?? env["CHITIEU_FIGURES_CACHE_SECONDS"].flatMap(Int.init), (0...3600).contains(seconds) {
            configuration.figuresCacheSeconds = seconds
        }
        if let proxies = trustedProxies ?? env["CHITIEU_TRUSTED_PROXIES"] {
            configuration.trustedProxies = Set(proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let hours = sessionHours ?? env["CHITIEU_SESSION_HOURS"].flatMap(Int.init), (1...720).contains(hours) {
            configuration.sessionSeconds = hours * 3600
        }
        if let failures = loginFailures ?? env["CHITIEU_LOGIN_FAILURES"].flatMap(Int.init), (1...1000).contains(failures) {
            configuration.loginLimits = LoginLimits(perAccount: failures, perAddress: failures * 10)
        }
        configuration.connectionLimits = HTTPConnectionLimits(
            idle: .seconds(Self.setting(httpIdleSeconds, "CHITIEU_HTTP_IDLE_SECONDS", in: 1...3600, default: 60)),
            head: .seconds(Self.setting(httpHeadSeconds, "CHITIEU_HTTP_HEAD_SECONDS", in: 1...3600, default: 10)),
            body: .seconds(Self.setting(httpBodySeconds, "CHITIEU_HTTP_BODY_SECONDS", in: 1...3600, default: 30)),
            maxConnections: Self.setting(httpMaxConnections, "CHITIEU_HTTP_MAX_CONNECTIONS", in: 1...1_000_000, default: 1024))
        let deadline = Self.setting(statementDeadline, "CHITIEU_STATEMENT_DEADLINE_SECONDS", in: 0...3600, default: 10)
        configuration.statementDeadline = deadline == 0 ? nil : .seconds(deadline)
        let timeout = Self.setting(statementTimeout, "CHITIEU_STATEMENT_TIMEOUT_SECONDS", in: 0...86_400, default: 60)
        let logger = database.makeLogger()
        let size = poolSize ?? env["CHITIEU_POOL_SIZE"].flatMap(Int.init) ?? 10
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: database.appConnectionString, maxConnections: size, statementTimeout: timeout == 0 ? nil : .seconds(timeout)),
            logger: logger)
        let migrations: MigrationSet
        do {
            migrations = try MigrationSet.load(from: try MigrationSet.locate())
        } catch {
            Output.note("error: \(error)")
            throw ExitCode(1)
        }
        let database = ChitieuDatabase(pool: pool)
        let workerCount = workers ?? env["CHITIEU_WORKERS"].flatMap(Int.init) ?? 2
        var extra: [any Service] = []
        let metrics = ServerMetrics()
        if workerCount > 0 {
            extra.append(
                JobWorker(
                    queue: JobQueue(pool: pool), handlers: StandardJobs.handlers(database: database),
                    configuration: JobWorkerConfiguration(concurrency: workerCount), listen: pool.configuration, metrics: metrics,
                    logger: logger))
        }
        let app = ChitieuApplication.make(
            configuration: configuration, database: database, migrations: migrations, services: extra, metrics: metrics, logger: logger)
        logger.info("Starting chitieu.", metadata: ["http.host": "\(configuration.host)", "http.port": "\(configuration.port)"])
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("chitieu stopped.")
    }
}

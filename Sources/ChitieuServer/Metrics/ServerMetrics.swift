public import ChitieuJobs
import ChitieuStore
import Foundation
import Hummingbird
public import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, served at `/metrics`: HTTP requests and their latency, the
/// connection pool, and the job queue (depth and oldest pending job, read at scrape time; start
/// latency, run time and failures of the jobs this process ran).
///
/// Each application owns its registry, so several servers in one process (as in tests) never
/// mix their figures.
public final class ServerMetrics: JobMetrics, Sendable {
    public let registry = PrometheusCollectorRegistry()

    /// Bucket bounds for request latency: 1 ms to 10 s.
    static let requestBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000].map { .microseconds(Int64($0 * 1000)) }
    /// Bucket bounds for job start latency and run time: 5 ms to 10 min.
    static let jobBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600].map {
        .microseconds(Int64($0 * 1_000_000))
    }

    private let poolOpen: Gauge
    private let poolIdle: Gauge
    private let poolWaiting: Gauge
    private let poolMax: Gauge
    private let poolTimeouts: Counter
    /// The pool's count of timeouts at the last scrape, so the counter grows by what is new.
    private let poolTimeoutsSeen = Mutex(0)
    private let queueOldestPending: Gauge

    /// A request's series, by what the router matched (not yet a template) and its status.
    struct RequestKey: Hashable {
        var method: String
        var endpoint: String?
        var status: Int
    }
    /// The counter and histogram of each series seen, so a request costs one lookup.
    private let requestSeries = Mutex<[RequestKey: (Counter, DurationHistogram)]>([:])

    /// Creates the registry and the metrics that exist from the start.
    public init() {
        poolOpen = registry.makeGauge(descriptor: Self.name("db_pool_connections", "open", "Connections the pool holds open."))
        poolIdle = registry.makeGauge(descriptor: Self.name("db_pool_connections", "idle", "Open connections not in use."))
        poolWaiting = registry.makeGauge(descriptor: Self.name("db_pool_waiting", "requests", "Requests waiting for a connection."))
        poolMax = registry.makeGauge(descriptor: Self.name("db_pool_connections", "max", "The pool's size limit."))
        poolTimeouts = registry.makeCounter(
            descriptor: Self.name("db_pool_timeouts", "total", "Requests and jobs that found no free connection in time (answered 503 database-busy)."))
        queueOldestPending = registry.makeGauge(
            descriptor: Self.name("jobs_oldest_pending", "seconds", "Age of the oldest job due and not yet started (0 when none)."))
        for state in ["pending", "running", "failed"] { _ = queueDepth(state) }
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "chitieu", metricName: metric, unitName: unit, helpText: help)
    }

    private func queueDepth(_ state: String) -> Gauge {
        registry.makeGauge(descriptor: Self.name("jobs", "queued", "Jobs in the queue by state (failed: kept for inspection)."), labels: [("state", state)])
    }

    // MARK: HTTP

    /// Records one answered request under its route template (`/v1/results/{id}`), never the raw
    /// path; `endpoint` is what the router matched (`/v1/results/:id`), nil or not a path when nothing did.
    func request(method: String, endpoint: String?, status: Int, duration: Duration) {
        let key = RequestKey(method: method, endpoint: endpoint, status: status)
        let (counter, histogram) = requestSeries.withLock { series in
            if let known = series[key] { return known }
            // Unmatched paths share one label, so probing clients cannot grow the registry.
            let route = endpoint.flatMap { $0.hasPrefix("/") ? Self.template($0) : nil } ?? "unmatched"
            let made = (
                registry.makeCounter(
                    descriptor: Self.name("http_requests", "total", "Requests answered, by method, route and status."),
                    labels: [("method", method), ("route", route), ("status", String(status))]),
                registry.makeDurationHistogram(
                    descriptor: Self.name("http_request_duration", "seconds", "Time to answer a request, by method and route."),
                    labels: [("method", method), ("route", route)], buckets: Self.requestBuckets)
            )
            series[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// `/v1/results/:id` → `/v1/results/{id}`, as the OpenAPI document writes it.
    static func template(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }

    // MARK: Jobs

    /// A job of this process started, `waited` after it fell due.
    public func jobStarted(kind: String, waited: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.name("job_start_latency", "seconds", "Time from a job falling due (or being enqueued) to its start, by kind."),
            labels: [("kind", kind)], buckets: Self.jobBuckets
        ).record(max(waited, .zero))
    }

    /// A job of this process ended: `outcome` is `succeeded`, `retrying` or `failed`.
    public func jobFinished(kind: String, outcome: String, duration: Duration) {
        registry.makeCounter(descriptor: Self.name("jobs_finished", "total", "Jobs this process ran, by kind and outcome."), labels: [
            ("kind", kind), ("outcome", outcome),
        ]).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("job_duration", "seconds", "Run time of the jobs this process ran, by kind."),
            labels: [("kind", kind)], buckets: Self.jobBuckets
        ).record(duration)
    }

    // MARK: Scrape

    /// Reads the pool's and the queue's current state, then writes every metric in the text
    /// exposition format. A database that cannot be reached leaves the queue figures as they were.
    func scrape(database: ChitieuDatabase) async -> [UInt8] {
        let pool = database.pool.statistics
        poolOpen.set(Double(pool.open))
        poolIdle.set(Double(pool.idle))
        poolWaiting.set(Double(pool.waiting))
        poolMax.set(Double(pool.max))
        let newTimeouts = poolTimeoutsSeen.withLock { seen in
            defer { seen = max(seen, pool.timeouts) }
            return max(0, pool.timeouts - seen)
        }
        if newTimeouts > 0 { poolTimeouts.increment(by: Int64(newTimeouts)) }
        if let depth = try? await JobQueue(pool: database.pool).depth() {
            for (state, count) in depth.counts { queueDepth(state).set(Double(count)) }
            queueOldestPending.set(depth.oldestPendingSeconds ?? 0)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}

/// `GET /metrics`: the Prometheus text format, without authentication (bind the daemon to a
/// private address or let the proxy keep `/metrics` inside).
struct MetricsController {
    let metrics: ServerMetrics
    let database: ChitieuDatabase

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics") { _, _ in
            let body = await metrics.scrape(database: database)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Synchronization
import Testing

@Suite("Prometheus metrics at /metrics")
struct MetricsTests {
    /// The value of the sample whose line starts with `series` (name and labels exactly as written).
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func requestsPoolAndQueueAreExposed() async throws {
        let world = try await AccessWorld.make()
        let pool = world.db.appPool(maxConnections: 6)
        let queue = JobQueue(pool: pool)
        let metrics = ServerMetrics()
        let worker = JobWorker(
            queue: queue, handlers: ["noop": { _ in }, "broken": { _ in throw JobWorkerError(description: "broken on purpose") }],
            configuration: JobWorkerConfiguration(concurrency: 2, pollInterval: .milliseconds(50)), listen: nil, metrics: metrics,
            logger: TestDatabase.logger)
        let app = ChitieuApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, passwordParameters: testPasswordParameters),
            database: ChitieuDatabase(pool: pool), migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()),
            services: [worker], metrics: metrics, logger: TestDatabase.logger)
        try await app.test(.live) { client in
            let api = APIClient(client: client)
            let token = try await api.login("tinh10")
            let unit = world.unitsA.commune
            for _ in 0..<3 { #expect(try await api.call(.get, "/v1/units/\(unit)", token: token).status == .ok) }
            #expect(try await api.call(.get, "/v1/units/999999999", token: token).status == .notFound)
            #expect(try await api.call(.get, "/v1/no-such-route/\(UUID())").status == .notFound)

            for _ in 0..<4 { _ = try await queue.enqueue(kind: "noop") }
            _ = try await queue.enqueue(kind: "broken", maxAttempts: 1)
            // A job due an hour from now stays pending and does not count as waiting.
            _ = try await queue.enqueue(kind: "noop", runAt: Date().addingTimeInterval(3600))
            // Until a scrape shows the jobs run and counted (a job's outcome is counted after
            // its handler returns).
            let settled = try await eventually(every: .milliseconds(50)) {
                let text = try await api.call(.get, "/metrics").text
                return Self.sample(text, #"chitieu_jobs_queued{state="failed"}"#) == 1
                    && Self.sample(text, #"chitieu_jobs_finished_total{kind="noop",outcome="succeeded"}"#) == 4
                    && Self.sample(text, #"chitieu_jobs_finished_total{kind="broken",outcome="failed"}"#) == 1
            }
            #expect(settled, "the jobs were never all counted")
            let response = try await api.call(.get, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            // Requests by route template, never by raw path: ids and probes do not grow the registry.
            #expect(Self.sample(text, #"chitieu_http_requests_total{method="GET",route="/v1/units/{id}",status="200"}"#) == 3, "\(text)")
            #expect(Self.sample(text, #"chitieu_http_requests_total{method="GET",route="/v1/units/{id}",status="404"}"#) == 1)
            #expect(Self.sample(text, #"chitieu_http_requests_total{method="GET",route="unmatched",status="404"}"#) == 1)
            #expect(!text.contains("no-such-route") && !text.contains("999999999"))
            #expect(Self.sample(text, #"chitieu_http_request_duration_seconds_count{method="GET",route="/v1/units/{id}"}"#) == 4)
            #expect(text.contains(#"chitieu_http_request_duration_seconds_bucket{method="GET",route="/v1/units/{id}",le="0.001"}"#))
            // The pool, read at scrape time.
            #expect(Self.sample(text, "chitieu_db_pool_connections_max") == 6)
            #expect((Self.sample(text, "chitieu_db_pool_connections_open") ?? 0) >= 1)
            #expect(Self.sample(text, "chitieu_db_pool_waiting_requests") == 0)
            // The queue: one job pending (not yet due), one failed; the jobs this process ran.
            #expect(Self.sample(text, #"chitieu_jobs_queued{state="pending"}"#) == 1)
            #expect(Self.sample(text, #"chitieu_jobs_queued{state="failed"}"#) == 1)
            #expect(Self.sample(text, "chitieu_jobs_oldest_pending_seconds") == 0)
            #expect(Self.sample(text, #"chitieu_jobs_finished_total{kind="noop",outcome="succeeded"}"#) == 4)
            #expect(Self.sample(text, #"chitieu_jobs_finished_total{kind="broken",outcome="failed"}"#) == 1)
            #expect(Self.sample(text, #"chitieu_job_start_latency_seconds_count{kind="noop"}"#) == 4)

        }
        await pool.shutdown()
    }

    @Test func theQueueDepthCountsByStateAndAgesTheOldestDueJob() async throws {
        let db = try await TestDatabase.make()
        let pool = db.appPool()
        let queue = JobQueue(pool: pool)
        var depth = try await queue.depth()
        #expect(depth.counts.map(\.count) == [0, 0, 0] && depth.oldestPendingSeconds == nil)
        try await pool.query(
            """
            INSERT INTO chitieu.job (kind, state, run_at) VALUES ('a', 'pending', now() - interval '60 seconds'),
                ('b', 'pending', now() + interval '1 hour'), ('c', 'running', now()), ('d', 'failed', now()), ('e', 'succeeded', now())
            """)
        depth = try await queue.depth()
        #expect(Dictionary(uniqueKeysWithValues: depth.counts.map { ($0.state, $0.count) }) == ["pending": 2, "running": 1, "failed": 1])
        #expect((59..<600).contains(depth.oldestPendingSeconds ?? 0))
        await pool.shutdown()
    }
}

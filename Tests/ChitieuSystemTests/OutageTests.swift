import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Synchronization
import Testing

@Suite("The daemon through a database outage")
struct OutageTests {
    @Test func requestsAnswer503QuicklyWhileTheDatabaseIsDownAndTheDaemonRecoversByItself() async throws {
        try await TestCluster.start().use { cluster in
            let world = try await AccessWorld.make(on: try await TestDatabase.make(on: cluster))
            // Its pool waits a minute for a connection: an answer that waited on the pool would
            // take that long, well past the bound below, which only a stalled machine comes near.
            let pool = patientPool(world)
            let ran = Mutex<Set<Int64>>([])
            let worker = JobWorker(
                queue: JobQueue(pool: pool), handlers: ["noop": { job in ran.withLock { _ = $0.insert(job.id) } }],
                configuration: JobWorkerConfiguration(concurrency: 1, pollInterval: .milliseconds(200)),
                listen: pool.configuration, logger: TestDatabase.logger)
            let app = ChitieuApplication.make(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0, passwordParameters: testPasswordParameters),
                database: ChitieuDatabase(pool: pool), migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()),
                services: [worker], logger: TestDatabase.logger)
            try await app.test(.live) { client in
                let api = APIClient(client: client)
                let token = try await api.login("tinh10")
                #expect(try await api.call(.get, "/v1/units", token: token).status == .ok)

                try await cluster.stop()
                let calls: [(HTTPRequest.Method, String, String?, [String: Any]?)] = [
                    (.get, "/v1/units", token, nil), (.get, "/v1/results", token, nil), (.get, "/v1/progress/summary", token, nil),
                    (.post, "/v1/results", token, ["indicator_id": world.indicators[0], "unit_id": world.unitsA.commune,
                                                   "period_start": "2025-10-01", "period_end": "2025-12-31", "value": 1]),
                    (.post, "/v1/sessions", nil, ["username": "tinh10", "password": testPassword]),
                    (.get, "/ready", nil, nil), (.get, "/metrics", nil, nil),
                ]
                for (method, uri, bearer, json) in calls {
                    let start = ContinuousClock.now
                    let response = try await api.call(method, uri, token: bearer, json: json)
                    let elapsed = ContinuousClock.now - start
                    if uri == "/metrics" {
                        // Metrics still answer: the pool's figures are in memory, the queue's are kept from the last scrape.
                        #expect(response.status == .ok)
                        continue
                    }
                    #expect(response.status == .serviceUnavailable, "\(method) \(uri): \(response.status) \(response.text)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect((response.json["type"] as? String)?.hasSuffix("database-unavailable") == true, "\(uri): \(response.text)")
                    // Quickly: a refused connection fails the request at once (milliseconds), it
                    // does not wait for one. The bound leaves room for a loaded machine's stalls.
                    #expect(elapsed < .seconds(20), "\(method) \(uri) took \(elapsed)")
                }
                // Liveness does not depend on the database: the process is fine.
                #expect(try await api.call(.get, "/health").status == .ok)

                try await cluster.startAgain()
                // Serving again without a restart of the daemon: the same token works, writes go through.
                #expect(try await eventually(every: .milliseconds(100)) { try await api.call(.get, "/v1/units", token: token).status == .ok })
                #expect(try await api.call(.get, "/ready").status == .ok)
                // The job worker runs new jobs again too.
                let job = try await JobQueue(pool: pool).enqueue(kind: "noop").id
                #expect(try await eventually(every: .milliseconds(50)) { ran.withLock { $0.contains(job) } }, "the worker did not run a job after the database came back")
            }
            await pool.shutdown()
            await world.shutdown()
        }
    }
}

/// Four connections of the world's application role in a pool that waits a minute for one: an
/// answer that waited on the pool would take that long.
func patientPool(_ world: AccessWorld) -> PostgresPool {
    TestDatabase.pool(world.db.appConnectionString, maxConnections: 4, acquireTimeout: .seconds(60))
}

import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("The daemon's health and readiness")
struct HealthTests {
    func app(_ connectionString: String) throws -> (some ApplicationProtocol, PostgresPool) {
        let pool = TestDatabase.pool(connectionString, maxConnections: 2)
        let app = ChitieuApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0), database: ChitieuDatabase(pool: pool),
            migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: TestDatabase.logger)
        return (app, pool)
    }

    @Test func healthAndReadyOnAMigratedDatabase() async throws {
        let db = try await TestDatabase.make()
        let (app, pool) = try app(db.appConnectionString)
        try await app.test(.live) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"ok\""))
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        await pool.shutdown()
    }

    @Test func notReadyWithPendingMigrations() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let (app, pool) = try app(db.ownerConnectionString)
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("migrate"))
            }
        }
        await pool.shutdown()
    }

    @Test func notReadyWhenTheDatabaseIsUnreachable() async throws {
        let (app, pool) = try app("host=/nonexistent-socket-dir dbname=x user=y")
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("database-unavailable"))
            }
        }
        await pool.shutdown()
    }
}

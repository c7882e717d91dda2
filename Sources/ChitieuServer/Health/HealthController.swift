import ChitieuStore
import Foundation
import Hummingbird
import Postgres
import Logging

/// `GET /health`: the process is up. `GET /ready`: the database answers and its migrations
/// are current, so the instance can take traffic.
struct HealthController: Sendable {
    let database: ChitieuDatabase
    let migrations: MigrationSet
    /// The migration files' checksums, computed on the first probe only.
    let checksums = ChecksumCache()

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/health") { _, _ in
            JSONBody.response(.ok, ["status": "ok"])
        }
        router.get("/ready") { _, context in
            await ready(logger: context.logger)
        }
    }

    func ready(logger: Logger) async -> Response {
        do {
            let current = try await database.pool.withConnection { [checksums, migrations] connection in
                let migrator = Migrator(set: migrations, logger: logger)
                let sums = try await checksums.value { try await migrator.fileChecksums(on: connection) }
                return try await migrator.isCurrent(on: connection, fileChecksums: sums)
            }
            guard current else {
                return Problem(
                    type: "not-ready", title: "Not ready", status: .serviceUnavailable,
                    detail: "the database has pending or changed migrations; run `chitieu db migrate`"
                ).response()
            }
            return JSONBody.response(.ok, ["status": "ready"])
        } catch let error as PostgresError where !error.isConnectionProblem && error.code != .poolTimeout {
            logger.error("The readiness check failed.", metadata: ["error": "\(error)"])
            return Problem(
                type: "not-ready", title: "Not ready", status: .serviceUnavailable,
                detail: "the readiness check failed: \(error.message) (SQLSTATE \(error.sqlState ?? "-"))"
            ).response()
        } catch let error as PostgresError where error.code == .poolTimeout {
            logger.warning("Every database connection is in use.", metadata: ["error": "\(error)"])
            return Problem.databaseBusy.response()
        } catch {
            logger.warning("The readiness check failed.", metadata: ["error": "\(error)"])
            return Problem(
                type: "database-unavailable", title: "Database unavailable", status: .serviceUnavailable,
                detail: "the database cannot be reached; try again shortly"
            ).response()
        }
    }
}

/// Holds a value computed once, on first use.
actor ChecksumCache {
    private var cached: [Int: String]?

    func value(_ compute: @Sendable () async throws -> [Int: String]) async throws -> [Int: String] {
        if let cached { return cached }
        let value = try await compute()
        cached = value
        return value
    }
}

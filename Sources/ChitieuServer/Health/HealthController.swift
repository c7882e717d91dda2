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

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in
            JSONBody.response(.ok, ["status": "ok"])
        }
        router.get("/ready") { _, context in
            await ready(logger: context.logger)
        }
    }

    func ready(logger: Logger) async -> Response {
        do {
            let current = try await database.pool.withConnection { connection in
                try await Migrator(set: migrations, logger: logger).isCurrent(on: connection)
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
        } catch {
            logger.warning("The readiness check failed.", metadata: ["error": "\(error)"])
            return Problem(
                type: "database-unavailable", title: "Database unavailable", status: .serviceUnavailable,
                detail: "the database cannot be reached; try again shortly"
            ).response()
        }
    }
}

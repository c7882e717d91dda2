import Hummingbird
import Postgres

/// Gives every database statement of a request a deadline (`PostgresConnection.statementDeadline`):
/// a database that stops answering makes the request fail with 503 within the deadline instead
/// of holding it, and its connection, for the whole stall.
struct StatementDeadlineMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let deadline: Duration?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await PostgresConnection.$statementDeadline.withValue(deadline) {
            try await next(request, context)
        }
    }
}

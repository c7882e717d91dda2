import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import NIOHTTP1
import Postgres

/// Turns every error into an RFC 9457 problem document: a stable `type`, a `detail` that names
/// the field and the rule, and the invalid fields. A client's mistake never becomes a 500; the
/// database being unreachable is a 503.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let problem = Self.framingProblem(request) {
            // Read what the parser lets through, so that its error ends here, not in a second answer.
            _ = try? await request.body.collect(upTo: context.maxUploadSize)
            return problem.response(requestID: context.requestID)
        }
        do {
            return try await next(request, context)
        } catch {
            // A browser that asked for a page no route has gets the 404 page, not a problem document.
            if let error = error as? any HTTPResponseError, error.status == .notFound, let page = WebErrorPage.unmatched(request, context: context) {
                return page
            }
            let language = Language(acceptLanguage: request.headers[.acceptLanguage])
            return Self.problem(for: error, language: language, context: context).response(requestID: context.requestID)
        }
    }

    static func problem(for error: any Error, language: Language = .en, context: Context) -> Problem {
        switch error {
        case let error as ChitieuError:
            return Problem(error, language: language)
        case let error as PostgresError where error.code == .poolTimeout:
            context.logger.warning("Every database connection is in use.", metadata: ["error": "\(error)"])
            return Problem.databaseBusy
        case let error as PostgresError where error.isConnectionProblem || error.code == .poolClosed:
            context.logger.warning("The database is unavailable.", metadata: ["error": "\(error)"])
            return Problem(
                type: "database-unavailable", title: "Database unavailable", status: .serviceUnavailable,
                detail: "the database cannot be reached; try again shortly", headers: [.retryAfter: "5"])
        case let error as PostgresError where ["23514", "22001", "22P02", "22007", "22008", "22021", "22003"].contains(error.sqlState ?? ""):
            // A CHECK or a length the input checks missed: still the client's value.
            return Problem(
                type: "invalid-input", title: "Invalid input", status: .unprocessableContent,
                detail: "a value breaks a rule of the data (\(error.constraint ?? error.sqlState ?? "check"))")
        case let error as HTTPParserError:
            // Bytes that are not HTTP, or a client gone before its body ended: its doing, not ours.
            context.logger.debug("A request's framing was malformed.", metadata: ["error": "\(error)"])
            return Problem(
                type: "malformed", title: "Malformed request", status: .badRequest,
                detail: "the request is not well-formed HTTP/1.1 (\(error)); the connection is closed", headers: [.connection: "close"])
        case let error as any HTTPResponseError:
            switch error.status {
            case .contentTooLarge:
                return Problem(type: "too-large", title: "Content too large", status: .contentTooLarge,
                               detail: "the request body is larger than \(context.maxUploadSize) bytes")
            case .notFound:
                return Problem(type: "not-found", title: "Not found", status: .notFound, detail: "no route matches this path")
            case .unsupportedMediaType:
                return Problem(type: "unsupported-media-type", title: "Unsupported media type", status: .unsupportedMediaType,
                               detail: (error as? HTTPError)?.body ?? "the body's media type is not accepted")
            case .methodNotAllowed:
                return Problem(type: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed, detail: "the route does not accept this method")
            default:
                return Problem(type: "http-\(error.status.code)", title: error.status.reasonPhrase, status: error.status, detail: error.status.reasonPhrase)
            }
        default:
            context.logger.error("A request failed.", metadata: ["error": "\(error)"])
            return Problem(type: "internal", title: "Internal error", status: .internalServerError,
                           detail: "the server failed to answer; the request id is in the X-Request-Id header")
        }
    }
}

extension ProblemMiddleware {
    /// A body sent with a transfer coding other than `chunked` (gzip, deflate, identity…) is
    /// refused before it is read: 501, and the connection is closed, as its end cannot be found.
    static func framingProblem(_ request: Request) -> Problem? {
        guard let codings = request.headers[.transferEncoding] else { return nil }
        let names = codings.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard names != ["chunked"] else { return nil }
        return Problem(
            type: "unsupported-transfer-coding", title: "Transfer coding not implemented", status: .notImplemented,
            detail: "Transfer-Encoding '\(codings.prefix(100))' is not supported: send the body with Content-Length or as chunked alone",
            headers: [.connection: "close"])
    }
}

/// The errors of a request's body or query that the store never sees.
enum BodyError {
    /// A body or query that cannot be read at all (400).
    static func malformed(_ detail: String) -> ChitieuError {
        ChitieuError(.malformed, detail)
    }

    /// A member or parameter that breaks its rule (422).
    static func invalid(_ field: String, _ reason: String) -> ChitieuError {
        ChitieuError(.invalid, field: field, reason: reason)
    }
}

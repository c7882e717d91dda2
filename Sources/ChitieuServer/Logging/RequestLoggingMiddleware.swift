import ChitieuDomain
import Hummingbird
import Logging

/// Logs one line per request (method, path, status and duration) and counts it in the metrics,
/// labelled by its route template.
struct RequestLoggingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: Int(response.status.code), start: start)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: Int(error.status.code), start: start)
            throw error
        } catch {
            log(request, context, status: 500, start: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        metrics.request(method: request.method.rawValue, endpoint: context.endpointPath, status: status, duration: elapsed)
        let ms = elapsed.seconds * 1000
        context.logger.info(
            "Handled a request.",
            metadata: [
                "http.method": "\(request.method)", "http.path": "\(request.uri.path)", "http.status": "\(status)",
                "http.duration_ms": "\((ms * 100).rounded() / 100)",
            ])
    }
}

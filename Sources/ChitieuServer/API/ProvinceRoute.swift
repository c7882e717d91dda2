import ChitieuDomain
import ChitieuStore
import HTTPTypes
import Hummingbird

/// What a `/v1` route of the caller's province works with: the caller, their province and the
/// request.
struct ProvinceCall {
    let caller: Caller
    let province: Int64
    let request: Request
    let context: AppRequestContext

    /// The parameters of the query string.
    var query: QueryInput { QueryInput(request) }

    /// The path's `:id`, a number; 404 naming `what` when it is not one.
    func id(_ what: String) throws -> Int64 { try context.parameters.id("id", what: what) }

    /// The JSON body, with only the `allowed` members.
    func input(allowed: Set<String>) async throws -> JSONInput {
        try await JSONInput.read(request, context: context, allowed: allowed)
    }
}

extension RouterGroup where Context == AppRequestContext {
    /// A route of the caller's province (the operator is refused) that answers `status` with the
    /// JSON that `answer` makes.
    @discardableResult
    func json(
        _ method: HTTPRequest.Method, _ path: RouterPath, status: HTTPResponse.Status = .ok,
        _ answer: @escaping @Sendable (ProvinceCall) async throws -> Any
    ) -> Self {
        on(path, method: method) { request, context in
            let (caller, province) = try context.province()
            let call = ProvinceCall(caller: caller, province: province, request: request, context: context)
            return JSONBody.response(status, try await answer(call))
        }
    }
}

import ChitieuDomain
import Testing

extension Set where Element == ChitieuError.Code {
    /// The codes answered 422: a field breaks a rule.
    static var unprocessable: Self { [.invalid, .infeasible] }
    /// The codes answered 409: the request conflicts with the data as it is.
    static var conflicts: Self { [.conflict, .staleVersion, .wrongState, .locked, .unitEnded, .deadlinePassed] }
    /// The refusals of authentication and the policy: 401, 403, 404, 429.
    static var refusals: Self { [.unauthenticated, .forbidden, .notFound, .rateLimited] }
}

/// Expects `body` to throw a `ChitieuError` with one of `codes`, and returns it.
@discardableResult
func expectError(
    _ codes: Set<ChitieuError.Code>, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    performing body: () async throws -> Void
) async -> ChitieuError? {
    do {
        try await body()
        Issue.record(comment ?? "no error was thrown; expected one of \(codes.map(\.name).sorted())", sourceLocation: sourceLocation)
        return nil
    } catch let error as ChitieuError {
        #expect(codes.contains(error.code), "\(error.code): \(error)", sourceLocation: sourceLocation)
        return codes.contains(error.code) ? error : nil
    } catch {
        Issue.record("expected a ChitieuError, not \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

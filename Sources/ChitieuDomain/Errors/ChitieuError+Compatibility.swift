// Former spellings of `ChitieuError`, kept while code written against them is converted.

/// An invalid field (HTTP 422): `ChitieuError(.invalid, field:reason:)`.
@available(*, deprecated, message: "throw ChitieuError(.invalid, field: …, reason: …) or a keyed ChitieuError")
public func InputError(field: String, reason: String) -> ChitieuError {
    ChitieuError(.invalid, field: field, reason: reason)
}

/// A conflict with the state of the data (HTTP 409): `ChitieuError(.conflict, field:reason:)`.
@available(*, deprecated, message: "throw ChitieuError(.conflict, field: …, reason: …) or a finer code (.staleVersion, .wrongState, .deadlinePassed, .unitEnded)")
public func ConflictError(field: String, reason: String) -> ChitieuError {
    ChitieuError(.conflict, field: field, reason: reason)
}

/// A refusal by authentication or the policy: `ChitieuError(.notFound | .forbidden | .unauthenticated, reason)`.
@available(*, deprecated, renamed: "ChitieuError")
public typealias AccessError = ChitieuError

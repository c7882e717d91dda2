import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `GET /v1/audit`: the audit log of the caller's scope, newest first, a page at a time.
struct AuditController {
    let audit: AuditStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.json(.get, "audit") { call in
            let query = call.query
            var filter = AuditStore.Filter(
                entityType: try query.string("entity_type", maxBytes: 100), entityID: try query.string("entity_id", maxBytes: 200),
                beforeID: try query.idCursor(), limit: try query.limit())
            filter.since = try time("since", query)
            filter.until = try time("until", query)
            filter.unitID = try query.integer("unit_id")
            filter.actorUsername = try query.string("actor", maxBytes: 100)
            let events = try await audit.list(province: call.province, filter: filter, caller: call.caller)
            let language = Language(acceptLanguage: call.request.headers[.acceptLanguage])
            return page(events.map { Representation.auditEvent($0, language: language) }, limit: filter.limit) { String(events.last!.id) }
        }
    }

    /// An RFC 3339 time of the query, or nil.
    func time(_ name: String, _ query: QueryInput) throws -> Date? {
        guard let text = query.parameters.get(name) else { return nil }
        guard let date = try? Date(String(text), strategy: .iso8601), date.timeIntervalSince1970 > -2_208_988_800,
              date.timeIntervalSince1970 < 7_258_118_400 else {
            throw BodyError.invalid(name, "'\(text.prefix(50))' is not an RFC 3339 time such as 2026-01-31T00:00:00+07:00")
        }
        return date
    }
}

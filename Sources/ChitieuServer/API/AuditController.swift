import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `GET /v1/audit`: the audit log of the caller's scope, newest first, a page at a time.
struct AuditController {
    let audit: AuditStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("audit") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            var filter = AuditStore.Filter(
                entityType: try query.string("entity_type", maxBytes: 100), entityID: try query.string("entity_id", maxBytes: 200),
                beforeID: try query.idCursor(), limit: try query.limit())
            if let since = query.parameters.get("since") {
                guard let date = try? Date(String(since), strategy: .iso8601), date.timeIntervalSince1970 > -2_208_988_800,
                      date.timeIntervalSince1970 < 7_258_118_400 else {
                    throw BodyError.invalid("since", "'\(since.prefix(50))' is not an RFC 3339 time such as 2026-01-31T00:00:00+07:00")
                }
                filter.since = date
            }
            let events = try await audit.list(province: province, filter: filter, caller: caller)
            return JSONBody.response(.ok, page(events.map(Representation.auditEvent), limit: filter.limit) { String(events.last!.id) })
        }
    }
}

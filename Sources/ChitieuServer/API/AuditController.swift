import ChitieuStore
import Foundation
import Hummingbird

/// `GET /v1/audit`: the audit log of the caller's scope, newest first, a page at a time.
struct AuditController {
    let audit: AuditStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("audit") { request, context in
            let (caller, province) = try context.province()
            let query = request.uri.queryParameters
            var filter = AuditStore.Filter()
            if let type = query["entity_type"] { filter.entityType = String(type.prefix(100)) }
            if let id = query["entity_id"] { filter.entityID = String(id.prefix(200)) }
            if let since = query["since"] {
                guard let date = try? Date(String(since), strategy: .iso8601), date.timeIntervalSince1970 > -2_208_988_800,
                      date.timeIntervalSince1970 < 7_258_118_400 else {
                    throw BodyError.invalid("since", "'\(since.prefix(50))' is not an RFC 3339 time such as 2026-01-31T00:00:00+07:00")
                }
                filter.since = date
            }
            if let limit = query["limit"] {
                guard let n = Int(String(limit)), (1...1000).contains(n) else { throw BodyError.invalid("limit", "must be an integer from 1 to 1000") }
                filter.limit = n
            }
            if let cursor = query["cursor"] {
                guard let id = Int64(String(cursor)), id > 0 else { throw BodyError.invalid("cursor", "is not a cursor this server gave") }
                filter.beforeID = id
            }
            let events = try await audit.list(province: province, filter: filter, caller: caller)
            let next: Any = events.count == filter.limit ? String(events.last!.id) : NSNull()
            return JSONBody.response(.ok, ["items": events.map(Representation.auditEvent), "next_cursor": next])
        }
    }
}

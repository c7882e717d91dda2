public import ChitieuDomain
public import Foundation
import Postgres

/// One audit event.
public struct AuditEvent: Sendable, Hashable {
    public var id: Int64
    public var at: Date
    public var actorID: UUID?
    public var actorLabel: String
    public var via: String
    public var requestID: String?
    public var action: String
    public var entityType: String
    public var entityID: String?
    public var unitID: Int64?
    /// JSON text.
    public var before: String?
    /// JSON text.
    public var after: String?
}

/// Reads the audit log, within the caller's scope: the province's officers read all of it,
/// a district's officers the events of units in their district.
public struct AuditStore: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// A filter on the log.
    public struct Filter: Sendable {
        public var entityType: String?
        public var entityID: String?
        public var since: Date?
        /// Events with a smaller id than this (the cursor of the previous page).
        public var beforeID: Int64?
        public var limit: Int

        public init(entityType: String? = nil, entityID: String? = nil, since: Date? = nil, beforeID: Int64? = nil, limit: Int = 100) {
            self.entityType = entityType
            self.entityID = entityID
            self.since = since
            self.beforeID = beforeID
            self.limit = limit
        }
    }

    /// Events, newest first.
    public func list(province: Int64, filter: Filter, caller: Caller) async throws -> [AuditEvent] {
        try Paging.check(limit: filter.limit)
        return try await database.withTenant(province) { tx in
            // The whole log, or the subtrees of the grants that allow reading it.
            var roots: [Int64]? = nil
            if Policy.decide(caller.principal, .readAudit, .province(province)) != .allow {
                var allowed: [Int64] = []
                for grant in caller.principal.grants {
                    guard let path = try await Access.unitPath(grant.unitID, tx: tx) else { continue }
                    if Policy.decide(caller.principal, .readAudit, .unit(province, path: path)) == .allow { allowed.append(grant.unitID) }
                }
                guard !allowed.isEmpty else { throw ChitieuError(.forbidden, "your roles do not allow reading the audit log") }
                roots = allowed
            }
            let scope = try await Access.scope(roots ?? [], tx: tx)
            return try await tx.query(
                """
                WITH scope AS (
                    SELECT unnest(\(scope.ids)::bigint[]) AS unit_id
                )
                SELECT event_id, at, actor_id, actor_label, via, request_id, action, entity_type, entity_id, unit_id,
                       before::text, after::text
                FROM chitieu.audit_event
                WHERE province_id = \(province)
                  AND (\(roots == nil) OR unit_id IN (SELECT unit_id FROM scope))
                  AND (\(filter.entityType)::text IS NULL OR entity_type = \(filter.entityType))
                  AND (\(filter.entityID)::text IS NULL OR entity_id = \(filter.entityID))
                  AND (\(filter.since)::timestamptz IS NULL OR at >= \(filter.since))
                  AND (\(filter.beforeID)::bigint IS NULL OR event_id < \(filter.beforeID))
                ORDER BY event_id DESC
                LIMIT \(filter.limit)
                """
            ).map(Self.decode)
        }
    }

    /// An event from the columns event_id, at, actor_id, actor_label, via, request_id, action,
    /// entity_type, entity_id, unit_id, before::text, after::text, in this order.
    static func decode(_ row: PostgresRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.decode(Int64.self, at: 0), at: try row.decode(Date.self, at: 1), actorID: try row.decode(UUID?.self, at: 2),
            actorLabel: try row.decode(String.self, at: 3), via: try row.decode(String.self, at: 4),
            requestID: try row.decode(String?.self, at: 5), action: try row.decode(String.self, at: 6),
            entityType: try row.decode(String.self, at: 7), entityID: try row.decode(String?.self, at: 8),
            unitID: try row.decode(Int64?.self, at: 9), before: try row.decode(String?.self, at: 10), after: try row.decode(String?.self, at: 11))
    }
}

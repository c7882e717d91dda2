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
    /// The acting account's display name, when an account acted.
    public var actorName: String?
    /// The name of the unit the event concerns.
    public var unitName: String?
    /// The unit of measure of the indicator the event concerns (results, targets).
    public var measureUnit: String?

    /// The event as a sentence for people (see `AuditSentence`).
    public var sentence: AuditSentence {
        AuditSentence(
            action: action, entityType: entityType, entityID: entityID, before: before, after: after,
            actorName: actorName ?? actorLabel, unitName: unitName, measureUnit: measureUnit)
    }

    /// The sentence in a language.
    public func summary(in language: Language) -> String { sentence.text(in: language) }
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
        /// Events before this time.
        public var until: Date?
        /// Only events of this unit's subtree.
        public var unitID: Int64?
        /// Only events of this account (by username).
        public var actorUsername: String?
        /// Events with a smaller id than this (the cursor of the previous page).
        public var beforeID: Int64?
        public var limit: Int

        public init(
            entityType: String? = nil, entityID: String? = nil, since: Date? = nil, until: Date? = nil, unitID: Int64? = nil,
            actorUsername: String? = nil, beforeID: Int64? = nil, limit: Int = 100
        ) {
            self.entityType = entityType
            self.entityID = entityID
            self.since = since
            self.until = until
            self.unitID = unitID
            self.actorUsername = actorUsername
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
            var unitScope: [Int64]? = nil
            if let unitID = filter.unitID {
                try await Access.require(caller, .read, unit: unitID, tx: tx)
                unitScope = try await Access.scope([unitID], tx: tx).ids
            }
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
                SELECT \(sql: Self.columns)
                FROM chitieu.audit_event e
                \(sql: Self.joins)
                WHERE e.province_id = \(province)
                  AND (\(roots == nil) OR e.unit_id IN (SELECT unit_id FROM scope))
                  AND (\(unitScope == nil) OR e.unit_id = ANY(\(unitScope ?? [])::bigint[]))
                  AND (\(filter.entityType)::text IS NULL OR e.entity_type = \(filter.entityType))
                  AND (\(filter.entityID)::text IS NULL OR e.entity_id = \(filter.entityID))
                  AND (\(filter.since)::timestamptz IS NULL OR e.at >= \(filter.since))
                  AND (\(filter.until)::timestamptz IS NULL OR e.at < \(filter.until))
                  AND (\(filter.actorUsername)::text IS NULL OR a.username = \(filter.actorUsername)
                       OR e.actor_label = \(filter.actorUsername))
                  AND (\(filter.beforeID)::bigint IS NULL OR e.event_id < \(filter.beforeID))
                ORDER BY e.event_id DESC
                LIMIT \(filter.limit)
                """
            ).map(Self.decode)
        }
    }

    /// The columns `decode` reads, of `chitieu.audit_event e` with `joins`.
    static let columns: StaticString = """
        e.event_id, e.at, e.actor_id, e.actor_label, e.via, e.request_id, e.action, e.entity_type, e.entity_id, e.unit_id,
        e.before::text, e.after::text, a.display_name::text, u.name::text, i.measure_unit::text
        """

    /// What the sentence needs beside the event: the actor's name, the unit's, the indicator's
    /// unit of measure (named by the result's `indicator` or the target's entity id), read in the
    /// same query, province_id in every join.
    static let joins: StaticString = """
        LEFT JOIN chitieu.account a ON a.province_id = e.province_id AND a.account_id = e.actor_id
        LEFT JOIN chitieu.admin_unit u ON u.province_id = e.province_id AND u.unit_id = e.unit_id
        LEFT JOIN chitieu.indicator i ON i.province_id = e.province_id
            AND i.code = coalesce(e.after->>'indicator', e.before->>'indicator',
                                  CASE WHEN e.entity_type IN ('target', 'allocation_rule') THEN split_part(e.entity_id, '/', 1) END)
        """

    /// An event from `columns`, in this order.
    static func decode(_ row: PostgresRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.decode(Int64.self, at: 0), at: try row.decode(Date.self, at: 1), actorID: try row.decode(UUID?.self, at: 2),
            actorLabel: try row.decode(String.self, at: 3), via: try row.decode(String.self, at: 4),
            requestID: try row.decode(String?.self, at: 5), action: try row.decode(String.self, at: 6),
            entityType: try row.decode(String.self, at: 7), entityID: try row.decode(String?.self, at: 8),
            unitID: try row.decode(Int64?.self, at: 9), before: try row.decode(String?.self, at: 10), after: try row.decode(String?.self, at: 11),
            actorName: try row.decode(String?.self, at: 12), unitName: try row.decode(String?.self, at: 13),
            measureUnit: try row.decode(String?.self, at: 14))
    }
}

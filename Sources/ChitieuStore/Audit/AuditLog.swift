import ChitieuDomain
public import Foundation
public import Postgres

/// Who did something, and how: an account (through the API or an admin command run `--as` it),
/// the operator running an admin command, or a job.
public struct Actor: Sendable, Hashable {
    /// How a change came in.
    public enum Via: String, Sendable, Hashable, Codable {
        case api, cli, job
    }

    /// The account, when a person or integration acted.
    public var accountID: UUID?
    /// A label for logs and the audit trail: a username, `cli:<command>` or `job:<id>`.
    public var label: String
    /// The way in.
    public var via: Via
    /// The HTTP request id, when the change came through the API.
    public var requestID: String?

    /// An actor.
    public init(accountID: UUID?, label: String, via: Via = .cli, requestID: String? = nil) {
        self.accountID = accountID
        self.label = label
        self.via = via
        self.requestID = requestID
    }

    /// The operator running an admin command.
    public static func command(_ name: String) -> Actor { Actor(accountID: nil, label: "cli:\(name)", via: .cli) }

    /// A job.
    public static func job(_ id: Int64) -> Actor { Actor(accountID: nil, label: "job:\(id)", via: .job) }
}

/// Writes audit events in the same transaction as the change they describe.
public enum AuditLog {
    /// Appends one event. `before` and `after` are JSON texts (or nil); `unitID` is the unit the
    /// change concerns, so officers of a district can read the events of their subtree.
    public static func record(
        _ tx: TenantTransaction, actor: Actor, action: String, entityType: String, entityID: String?,
        unitID: Int64? = nil, before: String? = nil, after: String? = nil
    ) async throws {
        try await tx.query(
            insert(
                province: tx.provinceID, actor: actor, action: action, entityType: entityType, entityID: entityID, unitID: unitID,
                before: before, after: after),
            prepared: true)
    }

    /// The statement `record` runs, for a pipeline.
    public static func insert(
        province: Int64, actor: Actor, action: String, entityType: String, entityID: String?, unitID: Int64? = nil,
        before: String? = nil, after: String? = nil
    ) -> PostgresQuery {
        """
        INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, via, request_id, action, entity_type, entity_id,
                                         unit_id, before, after)
        VALUES (\(province), \(actor.accountID), \(actor.label), \(actor.via.rawValue), \(actor.requestID), \(action),
                \(entityType), \(entityID), \(unitID), \(before)::jsonb, \(after)::jsonb)
        """
    }

    /// JSON text of a dictionary of simple values, for `before`/`after`.
    public static func json(_ object: [String: any Sendable]) -> String {
        JSONText.string(object)
    }
}

public import Foundation

/// Who did something: an account, or an operator's command.
public struct Actor: Sendable, Hashable {
    /// The account, when a person or integration acted.
    public var accountID: UUID?
    /// A label for logs and the audit trail: a username, or `cli:<command>`.
    public var label: String

    /// An account acting.
    public init(accountID: UUID?, label: String) {
        self.accountID = accountID
        self.label = label
    }

    /// An operator running an admin command.
    public static func command(_ name: String) -> Actor { Actor(accountID: nil, label: "cli:\(name)") }
}

/// Writes audit events in the same transaction as the change they describe.
public enum AuditLog {
    /// Appends one event. `before` and `after` are JSON texts (or nil).
    public static func record(
        _ tx: TenantTransaction, actor: Actor, action: String, entityType: String, entityID: String?,
        before: String? = nil, after: String? = nil
    ) async throws {
        try await tx.query(
            """
            INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, action, entity_type, entity_id, before, after)
            VALUES (\(tx.provinceID), \(actor.accountID), \(actor.label), \(action), \(entityType), \(entityID),
                    \(before)::jsonb, \(after)::jsonb)
            """, prepared: true)
    }

    /// JSON text of a dictionary of simple values, for `before`/`after`.
    public static func json(_ object: [String: any Sendable]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

import ChitieuDomain
public import Foundation
import Postgres

extension ResultStore {
    /// What happened to a result, oldest first, from the audit log: for whoever may read the
    /// result (its history is part of it, as the figures it had).
    public func history(province: Int64, id: UUID, caller: Caller) async throws -> [AuditEvent] {
        try await database.withTenant(province) { tx in
            guard let record = try await Self.find(id, tx: tx) else { throw ChitieuError.notFound("the result") }
            try await Access.require(caller, .read, unit: record.unitID, what: "the result", tx: tx)
            return try await tx.query(
                """
                SELECT \(sql: AuditStore.columns)
                FROM chitieu.audit_event e
                \(sql: AuditStore.joins)
                WHERE e.province_id = \(province) AND e.entity_type = 'result' AND e.entity_id = \(id.uuidString.lowercased())
                ORDER BY e.event_id
                LIMIT 500
                """, prepared: true
            ).map(AuditStore.decode)
        }
    }
}

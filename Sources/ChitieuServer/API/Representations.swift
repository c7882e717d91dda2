import ChitieuDomain
import ChitieuStore
import Foundation

/// The JSON shapes of the API's resources (documented in openapi.json).
enum Representation {
    static func time(_ date: Date?) -> Any { date.map { $0.formatted(.iso8601) } ?? NSNull() }

    static func account(_ a: Account) -> [String: Any] {
        [
            "id": a.id.uuidString.lowercased(), "username": a.username, "display_name": a.displayName, "status": a.status.rawValue,
            "home_unit_id": a.homeUnitID ?? NSNull(), "created_at": time(a.createdAt),
        ]
    }

    static func grant(_ g: GrantRecord) -> [String: Any] {
        [
            "id": g.id, "account_id": g.accountID.uuidString.lowercased(), "username": g.username, "role": g.role.rawValue,
            "unit_id": g.unitID, "unit_code": g.unitCode, "unit_name": g.unitName, "valid_from": g.validFrom.description,
            "valid_to": g.validTo?.description ?? NSNull(), "revoked_at": time(g.revokedAt), "granted_at": time(g.grantedAt),
        ]
    }

    static func unit(_ u: UnitRecord) -> [String: Any] {
        [
            "id": u.id, "level": u.level.rawValue, "code": u.code, "name": u.name, "type_label": u.typeLabel,
            "parent_id": u.parentID ?? NSNull(), "valid_from": u.validFrom.description, "valid_to": u.validTo?.description ?? NSNull(),
        ]
    }

    static func indicator(_ i: Indicator) -> [String: Any] {
        let d = i.draft
        return [
            "id": i.id, "code": d.code, "name": d.name, "name_en": d.nameEnglish ?? NSNull(), "measure_unit": d.measureUnit,
            "kind": d.kind.rawValue, "reporting_levels": d.reportingLevels.map(\.rawValue),
            "disaggregation": d.disaggregation ?? NSNull(), "companion_measure": d.companionMeasure ?? NSNull(),
            "status": i.status, "suspended_from": i.suspendedFrom?.description ?? NSNull(), "suspended_reason": i.suspendedReason ?? NSNull(),
            "updated_at": time(i.updatedAt),
        ]
    }

    static func auditEvent(_ e: AuditEvent) -> [String: Any] {
        func parsed(_ text: String?) -> Any {
            guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return NSNull() }
            return object
        }
        return [
            "id": e.id, "at": time(e.at), "actor_id": e.actorID.map { $0.uuidString.lowercased() } ?? NSNull(), "actor": e.actorLabel,
            "via": e.via, "request_id": e.requestID ?? NSNull(), "action": e.action, "entity_type": e.entityType,
            "entity_id": e.entityID ?? NSNull(), "unit_id": e.unitID ?? NSNull(), "before": parsed(e.before), "after": parsed(e.after),
        ]
    }

    static func token(_ t: TokenRecord) -> [String: Any] {
        [
            "id": t.id.uuidString.lowercased(), "username": t.username, "kind": t.kind, "name": t.name ?? NSNull(),
            "created_at": time(t.createdAt), "expires_at": time(t.expiresAt), "revoked_at": time(t.revokedAt), "last_used_at": time(t.lastUsedAt),
        ]
    }
}

public import ChitieuDomain
public import ChitieuStore
public import Foundation

/// The JSON shapes of chitieu's resources, shared by the API and the commands' `--json`.
public enum Representation {
    public static func time(_ date: Date?) -> Any { date.map { JSONText.timestamp($0) } ?? NSNull() }

    public static func account(_ a: Account) -> [String: Any] {
        [
            "id": a.id.uuidString.lowercased(), "username": a.username, "display_name": a.displayName, "status": a.status.rawValue,
            "home_unit_id": a.homeUnitID ?? NSNull(), "created_at": time(a.createdAt),
        ]
    }

    public static func grant(_ g: GrantRecord) -> [String: Any] {
        [
            "id": g.id, "account_id": g.accountID.uuidString.lowercased(), "username": g.username, "role": g.role.rawValue,
            "unit_id": g.unitID, "unit_code": g.unitCode, "unit_name": g.unitName, "valid_from": g.validFrom.description,
            "valid_to": g.validTo?.description ?? NSNull(), "revoked_at": time(g.revokedAt), "granted_at": time(g.grantedAt),
        ]
    }

    public static func unit(_ u: UnitRecord) -> [String: Any] {
        [
            "id": u.id, "level": u.level.rawValue, "code": u.code, "name": u.name, "type_label": u.typeLabel,
            "parent_id": u.parentID ?? NSNull(), "valid_from": u.validFrom.description, "valid_to": u.validTo?.description ?? NSNull(),
        ]
    }

    public static func indicator(_ i: Indicator) -> [String: Any] {
        let d = i.draft
        return [
            "id": i.id, "code": d.code, "name": d.name, "name_en": d.nameEnglish ?? NSNull(), "measure_unit": d.measureUnit,
            "kind": d.kind.rawValue, "reporting_levels": d.reportingLevels.map(\.rawValue),
            "disaggregation": d.disaggregation ?? NSNull(), "companion_measure": d.companionMeasure ?? NSNull(),
            "status": i.status, "suspended_from": i.suspendedFrom?.description ?? NSNull(), "suspended_reason": i.suspendedReason ?? NSNull(),
            "updated_at": time(i.updatedAt), "companion_disaggregation": d.companionDisaggregation ?? NSNull(),
        ]
    }

    /// An audit event, its `summary` in Vietnamese (the command line's language).
    public static func auditEvent(_ e: AuditEvent) -> [String: Any] { auditEvent(e, language: .vi) }

    /// An audit event, its `summary` sentence in `language`.
    public static func auditEvent(_ e: AuditEvent, language: Language) -> [String: Any] {
        func parsed(_ text: String?) -> Any {
            guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return NSNull() }
            return object
        }
        return [
            "id": e.id, "at": time(e.at), "actor_id": e.actorID.map { $0.uuidString.lowercased() } ?? NSNull(), "actor": e.actorLabel,
            "via": e.via, "request_id": e.requestID ?? NSNull(), "action": e.action, "entity_type": e.entityType,
            "entity_id": e.entityID ?? NSNull(), "unit_id": e.unitID ?? NSNull(), "before": parsed(e.before), "after": parsed(e.after),
            "summary": e.summary(in: language), "actor_name": e.actorName ?? NSNull(), "unit_name": e.unitName ?? NSNull(),
        ]
    }

    public static func token(_ t: TokenRecord) -> [String: Any] {
        [
            "id": t.id.uuidString.lowercased(), "username": t.username, "kind": t.kind, "name": t.name ?? NSNull(),
            "created_at": time(t.createdAt), "expires_at": time(t.expiresAt), "revoked_at": time(t.revokedAt), "last_used_at": time(t.lastUsedAt),
        ]
    }

    public static func result(_ r: ResultRecord) -> [String: Any] {
        [
            "id": r.id.uuidString.lowercased(), "indicator_id": r.indicatorID, "indicator_code": r.indicatorCode, "unit_id": r.unitID,
            "unit_code": r.unitCode, "unit_name": r.unitName, "period_start": r.periodStart.description, "period_end": r.periodEnd.description,
            "value": r.figures.value, "breakdown": r.figures.breakdown ?? NSNull(), "companion_value": r.figures.companionValue ?? NSNull(),
            "evidence_note": r.figures.evidenceNote ?? NSNull(), "state": r.state.rawValue, "return_reason": r.returnReason ?? NSNull(),
            "version": r.version, "created_at": time(r.createdAt), "submitted_at": time(r.submittedAt),
            "decided_at": time(r.decidedAt), "updated_at": time(r.updatedAt),
            "companion_breakdown": r.figures.companionBreakdown ?? NSNull(),
        ]
    }

    /// A unit's phase summary: indicators completed, on track, behind, suspended.
    public static func progressSummary(_ s: UnitSummary) -> [String: Any] {
        ["unit_id": s.unitID, "unit_code": s.unitCode, "unit_name": s.unitName, "unit_level": s.unitLevel.rawValue, "phase": s.phase, "indicators": s.indicators, "completed": s.completed, "on_track": s.onTrack, "behind": s.behind, "suspended": s.suspended]
    }

    public static func progress(_ f: ProgressFigure) -> [String: Any] {
        [
            "indicator_id": f.indicatorID, "indicator_code": f.indicatorCode, "indicator_name": f.indicatorName, "measure_unit": f.measureUnit,
            "unit_id": f.unitID, "unit_code": f.unitCode, "unit_name": f.unitName, "unit_level": f.unitLevel.rawValue,
            "parent_id": f.parentID ?? NSNull(), "year": f.year ?? NSNull(), "target": f.target ?? NSNull(), "achieved": f.achieved,
            "rate": f.rate ?? NSNull(), "achieved_with_submitted": f.achievedWithSubmitted, "companion_measure": f.companionMeasure ?? NSNull(),
            "companion": f.companion ?? NSNull(), "status": f.status.rawValue, "computed_at": time(f.computedAt),
        ]
    }

    /// `{"items": [progress(f) …]}` written straight from the figures (the route dashboards
    /// call all day); the same text as `JSONText.bytes` of the dictionaries.
    public static func progressItems(_ figures: [ProgressFigure]) -> [UInt8] {
        var w = JSONText.Writer(capacity: 256 + figures.count * 600)
        w.beginObject()
        w.key("items")
        w.beginArray()
        for f in figures {
            w.beginObject()
            w.key("achieved"); w.value(f.achieved)
            w.key("achieved_with_submitted"); w.value(f.achievedWithSubmitted)
            w.key("companion"); w.value(f.companion)
            w.key("companion_measure"); w.value(f.companionMeasure)
            w.key("computed_at"); w.value(JSONText.timestamp(f.computedAt))
            w.key("indicator_code"); w.value(f.indicatorCode)
            w.key("indicator_id"); w.value(f.indicatorID)
            w.key("indicator_name"); w.value(f.indicatorName)
            w.key("measure_unit"); w.value(f.measureUnit)
            w.key("parent_id"); w.value(f.parentID)
            w.key("rate"); w.value(f.rate)
            w.key("status"); w.value(f.status.rawValue)
            w.key("target"); w.value(f.target)
            w.key("unit_code"); w.value(f.unitCode)
            w.key("unit_id"); w.value(f.unitID)
            w.key("unit_level"); w.value(f.unitLevel.rawValue)
            w.key("unit_name"); w.value(f.unitName)
            w.key("year"); w.value(f.year)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    public static func target(_ t: TargetRecord) -> [String: Any] {
        [
            "id": t.id, "indicator_id": t.indicatorID, "indicator_code": t.indicatorCode, "phase": t.phase, "unit_id": t.unitID,
            "unit_code": t.unitCode, "unit_name": t.unitName, "unit_level": t.unitLevel.rawValue, "parent_id": t.parentID ?? NSNull(),
            "year": t.year ?? NSNull(), "value": t.value, "origin": t.origin, "locked": t.locked, "set_at": time(t.setAt),
        ]
    }

    /// A phase with the plan that set its targets (null until recorded).
    public static func phase(_ p: Phase) -> [String: Any] {
        ["code": p.code, "first_year": p.firstYear, "last_year": p.lastYear, "plan": p.plan.map(phasePlan) ?? NSNull()]
    }

    public static func phasePlan(_ plan: PhasePlan) -> [String: Any] {
        ["number": plan.number, "date": plan.date.description, "issuer": plan.issuer, "title": plan.title ?? NSNull(), "citation": plan.citation]
    }

    public static func provinceSettings(_ s: ProvinceSettings) -> [String: Any] {
        ["district_allocation": s.districtAllocation]
    }

    public static func allocationRule(_ r: RuleRecord) -> [String: Any] {
        [
            "id": r.id, "indicator_id": r.indicatorID, "indicator_code": r.indicatorCode, "phase": r.phase, "unit_id": r.unitID,
            "unit_code": r.unitCode, "unit_name": r.unitName, "method": r.rule.childMethod,
            "weights": r.rule.childWeights.isEmpty ? NSNull() as Any : r.rule.childWeights as Any, "attribute": r.rule.weightAttribute ?? NSNull(),
            "minimum": r.rule.minimumPerChild, "years": r.rule.yearWeights ?? NSNull(), "updated_at": time(r.updatedAt),
        ]
    }

    /// A job of a province. The worker that holds it is the deployment's business, left out.
    public static func job(_ j: Job) -> [String: Any] {
        [
            "id": j.id, "kind": j.kind, "province_id": j.provinceID ?? NSNull(), "unique_key": j.uniqueKey ?? NSNull(),
            "args": (try? JSONSerialization.jsonObject(with: Data(j.args.utf8))) ?? [String: Any](), "state": j.state.rawValue,
            "priority": j.priority, "run_at": time(j.runAt), "attempts": j.attempts, "max_attempts": j.maxAttempts,
            "lease_until": time(j.leaseUntil), "last_error": j.lastError ?? NSNull(), "created_at": time(j.createdAt),
            "finished_at": time(j.finishedAt),
        ]
    }
}

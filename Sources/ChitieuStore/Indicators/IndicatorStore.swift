public import ChitieuDomain
public import Foundation
public import Postgres

/// An indicator as stored.
public struct Indicator: Sendable {
    public var id: Int64
    public var draft: IndicatorDraft
    public var status: String
    public var suspendedFrom: PostgresDate?
    public var suspendedReason: String?
    public var updatedAt: Date
}

/// Indicators of a province: add, import a catalogue, list, suspend, resume.
public struct IndicatorStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    static let columns: StaticString = """
        indicator_id, code, name, name_en, measure_unit, kind, reporting_levels, disaggregation::text AS disaggregation,
        companion_measure, companion_disaggregation::text AS companion_disaggregation, national_code, status, suspended_from,
        suspended_reason, updated_at
        """

    static func decode(_ row: PostgresRow) throws -> Indicator {
        func disaggregation(_ column: String) throws -> [String: [String]]? {
            try row.decode(String?.self, column).flatMap { try JSONDecoder().decode([String: [String]].self, from: Data($0.utf8)) }
        }
        let draft = IndicatorDraft(
            code: try row.decode(String.self, "code"), name: try row.decode(String.self, "name"),
            nameEnglish: try row.decode(String?.self, "name_en"), measureUnit: try row.decode(String.self, "measure_unit"),
            kind: IndicatorKind(rawValue: try row.decode(String.self, "kind")) ?? .flow,
            reportingLevels: try row.decode([String].self, "reporting_levels").compactMap(UnitLevel.init(rawValue:)),
            disaggregation: try disaggregation("disaggregation"), companionMeasure: try row.decode(String?.self, "companion_measure"),
            companionDisaggregation: try disaggregation("companion_disaggregation"), nationalCode: try row.decode(String?.self, "national_code"))
        return Indicator(
            id: try row.decode(Int64.self, "indicator_id"), draft: draft, status: try row.decode(String.self, "status"),
            suspendedFrom: try row.decode(PostgresDate?.self, "suspended_from"),
            suspendedReason: try row.decode(String?.self, "suspended_reason"), updatedAt: try row.decode(Date.self, "updated_at"))
    }

    static func json(_ disaggregation: [String: [String]]?) -> String? {
        guard let d = disaggregation else { return nil }
        let data = (try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func auditJSON(_ i: IndicatorDraft, status: String = "active") -> String {
        AuditLog.json([
            "code": i.code, "name": i.name, "measure_unit": i.measureUnit, "kind": i.kind.rawValue,
            "reporting_levels": i.reportingLevels.map(\.rawValue), "status": status,
            "disaggregation": i.disaggregation ?? NSNull(), "companion_measure": i.companionMeasure ?? NSNull(),
            "companion_disaggregation": i.companionDisaggregation ?? NSNull(),
        ])
    }

    /// Adds an indicator; a code already used in the province is refused.
    public func add(_ draft: IndicatorDraft, province: Int64, caller: Caller) async throws -> Indicator {
        if let (field, reason) = draft.problem() { throw ChitieuError(.invalid, field: field, reason: reason) }
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageIndicators, tx: tx)
            do {
                let rows = try await Self.insert(draft, tx: tx)
                let indicator = try Self.decode(rows[0])
                try await AuditLog.record(tx, actor: caller.actor, action: "indicator.add", entityType: "indicator", entityID: draft.code, after: Self.auditJSON(draft))
                return indicator
            } catch let error as PostgresError where error.isUniqueViolation {
                throw ChitieuError(.invalid, field: "code", reason: "the province has an indicator '\(draft.code)' already")
            }
        }
    }

    static func insert(_ d: IndicatorDraft, tx: TenantTransaction, onConflictUpdate: Bool = false) async throws -> PostgresRows {
        let conflict: StaticString = onConflictUpdate ? """
            ON CONFLICT (province_id, code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
              measure_unit = excluded.measure_unit, kind = excluded.kind, reporting_levels = excluded.reporting_levels,
              disaggregation = excluded.disaggregation, companion_measure = excluded.companion_measure,
              companion_disaggregation = excluded.companion_disaggregation, national_code = excluded.national_code, updated_at = excluded.updated_at
            WHERE (indicator.name, indicator.name_en, indicator.measure_unit, indicator.kind, indicator.reporting_levels,
                   indicator.disaggregation, indicator.companion_measure, indicator.companion_disaggregation, indicator.national_code)
               IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.measure_unit, excluded.kind, excluded.reporting_levels,
                   excluded.disaggregation, excluded.companion_measure, excluded.companion_disaggregation, excluded.national_code)
            """ : ""
        return try await tx.query(
            """
            INSERT INTO chitieu.indicator AS indicator (province_id, code, name, name_en, measure_unit, kind, reporting_levels,
                disaggregation, companion_measure, companion_disaggregation, national_code)
            VALUES (\(tx.provinceID), \(d.code), \(d.name), \(d.nameEnglish), \(d.measureUnit), \(d.kind.rawValue),
                    \(d.reportingLevels.map(\.rawValue))::text[], \(json(d.disaggregation))::jsonb, \(d.companionMeasure),
                    \(json(d.companionDisaggregation))::jsonb, \(d.nationalCode))
            \(sql: conflict)
            RETURNING \(sql: columns), (xmax = 0) AS inserted
            """)
    }

    /// Every indicator of the province, by code.
    public func list(province: Int64) async throws -> [Indicator] {
        try await database.withTenant(province) { tx in
            try await tx.query("SELECT \(sql: Self.columns) FROM chitieu.indicator WHERE province_id = \(tx.provinceID) ORDER BY code")
                .map(Self.decode)
        }
    }

    /// Every indicator of the province, for a caller who may read them.
    public func list(province: Int64, caller: Caller) async throws -> [Indicator] {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, what: "the province", tx: tx)
            return try await tx.query("SELECT \(sql: Self.columns) FROM chitieu.indicator WHERE province_id = \(tx.provinceID) ORDER BY code")
                .map(Self.decode)
        }
    }

    /// One indicator by id, for a caller who may read it (404 for ids of other provinces).
    public func find(id: Int64, province: Int64, caller: Caller) async throws -> Indicator {
        try await database.withTenant(province) { tx in
            let indicator = try await tx.resolve.indicator(.id(id))
            try await Access.require(caller, .read, what: "the indicator", tx: tx)
            return indicator
        }
    }

    /// One indicator by code.
    public func find(code: String, province: Int64) async throws -> Indicator {
        try await database.withTenant(province) { tx in try await tx.resolve.indicator(.code(code)) }
    }

    /// Suspends an indicator from a date, with a reason; everything recorded stays.
    public func suspend(code: String, from date: PostgresDate, reason rawReason: String, province: Int64, caller: Caller) async throws -> Indicator {
        let reason = Names.normalized(rawReason)
        if let p = Names.problem(with: reason, maxLength: 1000) { throw ChitieuError(.invalid, field: "reason", reason: "the reason \(p)") }
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageIndicators, tx: tx)
            let before = try await tx.resolve.indicator(.code(code))
            if before.status == "suspended" {
                throw ChitieuError(.invalid, field: "indicator", reason: "'\(code)' is suspended already (from \(before.suspendedFrom?.description ?? "?"))")
            }
            let rows = try await tx.query(
                """
                UPDATE chitieu.indicator SET status = 'suspended', suspended_from = \(date), suspended_reason = \(reason), updated_at = now()
                WHERE province_id = \(tx.provinceID) AND indicator_id = \(before.id)
                RETURNING indicator_id
                """)
            precondition(rows.count == 1)
            try await ResultStore.enqueueProgress(indicatorID: before.id, tx: tx)
            try await AuditLog.record(
                tx, actor: caller.actor, action: "indicator.suspend", entityType: "indicator", entityID: code,
                before: AuditLog.json(["status": before.status]),
                after: AuditLog.json(["status": "suspended", "suspended_from": date.description, "suspended_reason": reason]))
            return try await tx.resolve.indicator(.code(code))
        }
    }

    /// Makes a suspended indicator active again.
    public func resume(code: String, province: Int64, caller: Caller) async throws -> Indicator {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageIndicators, tx: tx)
            let before = try await tx.resolve.indicator(.code(code))
            guard before.status == "suspended" else {
                throw ChitieuError(.invalid, field: "indicator", reason: "'\(code)' is not suspended")
            }
            try await tx.query(
                """
                UPDATE chitieu.indicator SET status = 'active', suspended_from = NULL, suspended_reason = NULL, updated_at = now()
                WHERE province_id = \(tx.provinceID) AND indicator_id = \(before.id)
                """)
            try await ResultStore.enqueueProgress(indicatorID: before.id, tx: tx)
            try await AuditLog.record(
                tx, actor: caller.actor, action: "indicator.resume", entityType: "indicator", entityID: code,
                before: AuditLog.json(["status": "suspended", "suspended_from": before.suspendedFrom?.description ?? NSNull(), "suspended_reason": before.suspendedReason ?? NSNull()]),
                after: AuditLog.json(["status": "active"]))
            return try await tx.resolve.indicator(.code(code))
        }
    }

    /// A catalogue row: the indicator, and the suspension it carries, if any.
    public struct CatalogueEntry: Sendable {
        public var draft: IndicatorDraft
        public var suspendedFrom: PostgresDate?
        public var suspendedReason: String?
        public init(draft: IndicatorDraft, suspendedFrom: PostgresDate?, suspendedReason: String?) {
            self.draft = draft
            self.suspendedFrom = suspendedFrom
            self.suspendedReason = suspendedReason
        }
    }

    /// Imports a catalogue: adds new codes, updates changed ones, applies suspensions; all or
    /// nothing. Returns (added, updated, unchanged).
    public func importCatalogue(_ entries: [CatalogueEntry], province: Int64, caller: Caller) async throws -> (Int, Int, Int) {
        for (i, entry) in entries.enumerated() {
            if let (field, reason) = entry.draft.problem() { throw ChitieuError(.invalid, field: "row \(i + 2) \(field)", reason: reason) }
        }
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageIndicators, tx: tx)
            var added = 0, updated = 0, unchanged = 0
            for entry in entries {
                let rows = try await Self.insert(entry.draft, tx: tx, onConflictUpdate: true)
                var inserted = false
                // The indicator to recompute, once: its name or measures changed (the figures
                // carry copies of them), or it was suspended. A new one has no figures yet.
                var recompute: Int64?
                if let row = rows.first {
                    inserted = try row.decode(Bool.self, "inserted")
                    if inserted {
                        added += 1
                    } else {
                        updated += 1
                        recompute = try row.decode(Int64.self, "indicator_id")
                    }
                    try await AuditLog.record(
                        tx, actor: caller.actor, action: inserted ? "indicator.add" : "indicator.update", entityType: "indicator",
                        entityID: entry.draft.code, after: Self.auditJSON(entry.draft))
                } else {
                    unchanged += 1
                }
                if let from = entry.suspendedFrom, let reason = entry.suspendedReason {
                    let changed = try await tx.query(
                        """
                        UPDATE chitieu.indicator SET status = 'suspended', suspended_from = \(from), suspended_reason = \(reason), updated_at = now()
                        WHERE province_id = \(tx.provinceID) AND code = \(entry.draft.code) AND status = 'active'
                        RETURNING indicator_id
                        """)
                    if let row = changed.first {
                        if !inserted { recompute = try row.decode(Int64.self, at: 0) }
                        try await AuditLog.record(
                            tx, actor: caller.actor, action: "indicator.suspend", entityType: "indicator", entityID: entry.draft.code,
                            after: AuditLog.json(["status": "suspended", "suspended_from": from.description, "suspended_reason": reason]))
                    }
                }
                if let recompute { try await ResultStore.enqueueProgress(indicatorID: recompute, tx: tx) }
            }
            return (added, updated, unchanged)
        }
    }
}

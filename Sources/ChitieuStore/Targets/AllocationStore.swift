public import ChitieuDomain
public import Foundation
import Postgres

/// An allocation rule with its indicator and unit, as the API shows it.
public struct RuleRecord: Sendable, Hashable {
    public var id: Int64
    public var indicatorID: Int64
    public var indicatorCode: String
    public var phase: String
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var rule: AllocationRule
    public var updatedAt: Date
}

/// What an allocation run did.
public struct AllocationReport: Sendable {
    /// Indicator codes allocated.
    public var indicators: [String] = []
    /// Indicators skipped, with why (no phase target, suspended).
    public var skipped: [(code: String, reason: String)] = []
    /// Target cells computed.
    public var cells = 0
    /// Cells whose stored value changed.
    public var changed = 0
    /// Seconds spent computing (no IO).
    public var computeSeconds = 0.0
    /// Seconds spent reading and writing.
    public var databaseSeconds = 0.0
    /// True when nothing had changed since the last allocation of every indicator of the phase
    /// (its fingerprint matched): nothing was read beyond the fingerprint, computed or written.
    public var upToDate = false
    /// Rows read from the database (units, indicators, target cells, rules, attributes; the
    /// fingerprint is one).
    public var rowsRead = 0
    /// Statements sent to the database after the access check (reads and writes).
    public var statements = 0
}

/// Allocation rules, and the allocation itself: province → district → commune, exact.
public struct AllocationStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// Sets the rule for (indicator, phase, parent unit — the province when nil).
    public func setRule(
        province: Int64, indicatorCode: String, phaseCode: String, unitCode: String?, rule: AllocationRule, caller: Caller
    ) async throws {
        try Self.check(rule)
        try await database.withTenant(province) { tx in
            let cell = try await tx.resolve.cell(
                indicator: .code(indicatorCode), phase: phaseCode, unit: unitCode.map(Reference.code), unitField: "unit",
                caller: caller, action: .planAllocation)
            _ = try await Self.write(rule, indicator: cell.indicator, phase: cell.phase, unit: cell.unit, units: cell.units, caller: caller, tx: tx)
        }
    }

    /// Sets a rule named by ids, as the API does: the unit (the province's when nil) must be in
    /// the caller's scope (404 otherwise, also for another province's ids) and exist during the
    /// phase. Returns the rule as stored.
    public func setRule(
        province: Int64, indicatorID: Int64, phaseCode: String, unitID: Int64?, rule: AllocationRule, caller: Caller
    ) async throws -> RuleRecord {
        try Self.check(rule)
        return try await database.withTenant(province) { tx in
            let cell = try await tx.resolve.cell(
                indicator: .id(indicatorID), phase: phaseCode, unit: unitID.map(Reference.id), unitField: "unit_id",
                caller: caller, action: .planAllocation)
            return try await Self.write(rule, indicator: cell.indicator, phase: cell.phase, unit: cell.unit, units: cell.units, caller: caller, tx: tx)
        }
    }

    static func check(_ rule: AllocationRule) throws {
        if let problem = rule.problem { throw ChitieuError(.invalid, field: problem.field, reason: problem.reason) }
    }

    static func write(
        _ rule: AllocationRule, indicator: Indicator, phase: Phase, unit: TargetUnit, units: [TargetUnit], caller: Caller, tx: TenantTransaction
    ) async throws -> RuleRecord {
        if let error = unit.endedError("its allocation rules") { throw error }
        if let problem = rule.problem(at: unit, phase: phase, units: units) {
            throw ChitieuError(.invalid, field: problem.field, reason: problem.reason)
        }
        let weights = rule.childWeights.isEmpty ? nil : AuditLog.json(rule.childWeights.mapValues { NSNumber(value: $0) })
        let rows = try await tx.query(
            """
            INSERT INTO chitieu.allocation_rule (province_id, indicator_id, phase_id, unit_id, child_method, child_weights, year_method, year_weights, min_per_child, weight_attribute)
            VALUES (\(tx.provinceID), \(indicator.id), \(phase.id), \(unit.id), \(rule.childMethod), \(weights)::jsonb,
                    \(rule.yearWeights == nil ? "equal" : "weighted"), \(rule.yearWeights.map { $0.map(Int.init) })::numeric[], \(rule.minimumPerChild),
                    \(rule.weightAttribute))
            ON CONFLICT (province_id, indicator_id, phase_id, unit_id) DO UPDATE
            SET child_method = excluded.child_method, child_weights = excluded.child_weights, year_method = excluded.year_method,
                year_weights = excluded.year_weights, min_per_child = excluded.min_per_child,
                weight_attribute = excluded.weight_attribute, updated_at = excluded.updated_at
            RETURNING rule_id, updated_at
            """)
        try await AuditLog.record(
            tx, actor: caller.actor, action: "allocation_rule.set", entityType: "allocation_rule",
            entityID: "\(indicator.draft.code)/\(phase.code)/\(unit.code)", unitID: unit.id,
            after: AuditLog.json([
                "method": rule.childMethod, "minimum": rule.minimumPerChild,
                "years": rule.yearWeights.map { $0.map { NSNumber(value: $0) } } ?? NSNull(), "weights": rule.childWeights.count,
            ]))
        return RuleRecord(
            id: try rows[0].decode(Int64.self, "rule_id"), indicatorID: indicator.id, indicatorCode: indicator.draft.code, phase: phase.code,
            unitID: unit.id, unitCode: unit.code, unitName: unit.name, rule: rule, updatedAt: try rows[0].decode(Date.self, "updated_at"))
    }

    /// What a listing of rules keeps: the phase, optionally one indicator and one unit (the
    /// caller's scope by default, with everything below it).
    public struct RuleFilter: Sendable {
        public var phaseCode: String
        public var indicatorID: Int64?
        public var unitID: Int64?
        public var limit: Int
        /// The id of the last rule of the previous page.
        public var after: Int64?

        public init(phaseCode: String, indicatorID: Int64? = nil, unitID: Int64? = nil, limit: Int = 100, after: Int64? = nil) {
            self.phaseCode = phaseCode
            self.indicatorID = indicatorID
            self.unitID = unitID
            self.limit = limit
            self.after = after
        }
    }

    /// The rules of the caller's scope (or of `unitID`'s subtree), by indicator code, level and
    /// Vietnamese name of the unit, a page at a time.
    public func rules(province: Int64, filter: RuleFilter, caller: Caller) async throws -> [RuleRecord] {
        try Paging.check(limit: filter.limit)
        return try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(filter.phaseCode)
            let scope = try await Access.scope(try await tx.resolve.scope(of: caller, from: filter.unitID.map(Reference.id)), tx: tx)
            if let after = filter.after {
                try Paging.requireCursor(try await tx.query(
                    "SELECT 1 FROM chitieu.allocation_rule WHERE province_id = \(province) AND rule_id = \(after) AND phase_id = \(phase.id)", prepared: true))
            }
            return try await tx.query(
                """
                WITH scope AS (
                    SELECT unnest(\(scope.ids)::bigint[]) AS unit_id
                ), rules AS (
                    SELECT r.rule_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
                           r.child_method, r.child_weights::text AS weights, r.year_weights::bigint[] AS years, r.min_per_child,
                           r.weight_attribute, r.updated_at,
                           chitieu.level_rank(u.level) AS level_rank
                    FROM chitieu.allocation_rule r
                    JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
                    JOIN chitieu.admin_unit u ON u.province_id = r.province_id AND u.unit_id = r.unit_id
                    WHERE r.province_id = \(province) AND r.phase_id = \(phase.id) AND r.unit_id IN (SELECT unit_id FROM scope)
                      AND (\(filter.indicatorID)::bigint IS NULL OR r.indicator_id = \(filter.indicatorID))
                )
                SELECT * FROM rules c
                WHERE \(filter.after)::bigint IS NULL
                   OR (c.indicator_code, c.level_rank, c.unit_name, c.unit_code, c.unit_id) > (
                      SELECT k.indicator_code, k.level_rank, k.unit_name, k.unit_code, k.unit_id FROM rules k WHERE k.rule_id = \(filter.after))
                ORDER BY c.indicator_code, c.level_rank, c.unit_name, c.unit_code, c.unit_id
                LIMIT \(filter.limit)
                """
            ).map { row in
                RuleRecord(
                    id: try row.decode(Int64.self, "rule_id"), indicatorID: try row.decode(Int64.self, "indicator_id"),
                    indicatorCode: try row.decode(String.self, "indicator_code"), phase: phase.code, unitID: try row.decode(Int64.self, "unit_id"),
                    unitCode: try row.decode(String.self, "unit_code"), unitName: try row.decode(String.self, "unit_name"),
                    rule: try Self.decodeRule(row), updatedAt: try row.decode(Date.self, "updated_at"))
            }
        }
    }

    static func rules(indicator: Int64, phase: Phase, tx: TenantTransaction) async throws -> [Int64: AllocationRule] {
        var result: [Int64: AllocationRule] = [:]
        for row in try await tx.query(
            """
            SELECT unit_id, \(sql: ruleColumns)
            FROM chitieu.allocation_rule WHERE province_id = \(tx.provinceID) AND indicator_id = \(indicator) AND phase_id = \(phase.id)
            """, prepared: true)
        {
            result[try row.decode(Int64.self, "unit_id")] = try decodeRule(row)
        }
        return result
    }

    /// The columns `decodeRule` reads.
    static let ruleColumns: StaticString = "child_method, child_weights::text AS weights, year_weights::bigint[] AS years, min_per_child, weight_attribute"

    /// A rule from a row with `ruleColumns`.
    static func decodeRule(_ row: PostgresRow) throws -> AllocationRule {
        let weights = try row.decode(String?.self, "weights").map { try JSONDecoder().decode([String: Int64].self, from: Data($0.utf8)) } ?? [:]
        return AllocationRule(
            childMethod: try row.decode(String.self, "child_method"), childWeights: weights,
            yearWeights: try row.decode([Int64]?.self, "years"), minimumPerChild: try row.decode(Int.self, "min_per_child"),
            weightAttribute: try row.decode(String?.self, "weight_attribute"))
    }

    /// Checks that the phase (and the indicator, when given) exist, before a job is queued.
    public func validate(province: Int64, phaseCode: String, indicatorCode: String?) async throws {
        try await database.withTenant(province) { tx in
            _ = try await tx.resolve.phase(phaseCode)
            if let indicatorCode { _ = try await tx.resolve.indicator(.code(indicatorCode)) }
        }
    }

    /// Asks for an allocation: checks the caller may run it and that the phase (and indicator)
    /// exist, then enqueues the job in the same transaction, with an audit event. Repeated
    /// requests coalesce into the one pending job.
    public func request(province: Int64, phaseCode: String, indicatorCode: String?, caller: Caller) async throws -> (id: Int64, coalesced: Bool) {
        try await request(province: province, phaseCode: phaseCode, indicator: indicatorCode.map(Reference.code), caller: caller) { queued, _ in queued }
    }

    /// The same, with the indicator named by its id (404 when the province has none such), as
    /// the API asks; returns the job as queued (the pending one a request joined, if any).
    public func request(province: Int64, phaseCode: String, indicatorID: Int64?, caller: Caller) async throws -> (job: Job, coalesced: Bool) {
        try await request(province: province, phaseCode: phaseCode, indicator: indicatorID.map(Reference.id), caller: caller) { queued, tx in
            guard let job = try await ProvinceJobs.find(id: queued.id, tx: tx) else {
                throw ChitieuError.notFound("the job")
            }
            return (job, queued.coalesced)
        }
    }

    /// Checks the caller may ask for an allocation and that the phase and indicator (by code or
    /// by id) exist, enqueues the job, then answers by `then` in the same transaction.
    func request<T: Sendable>(
        province: Int64, phaseCode: String, indicator reference: Reference?, caller: Caller,
        then: @escaping @Sendable (_ queued: (id: Int64, coalesced: Bool), TenantTransaction) async throws -> T
    ) async throws -> T {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .planAllocation, tx: tx)
            _ = try await tx.resolve.phase(phaseCode)
            var indicator: Indicator?
            if let reference { indicator = try await tx.resolve.indicator(reference) }
            return try await then(try await Self.enqueue(phaseCode: phaseCode, indicator: indicator, caller: caller, tx: tx), tx)
        }
    }

    static func enqueue(phaseCode: String, indicator: Indicator?, caller: Caller, tx: TenantTransaction) async throws -> (id: Int64, coalesced: Bool) {
        let province = tx.provinceID
        let payload = AllocateJob(provinceID: province, phase: phaseCode, indicatorID: indicator?.id, indicator: indicator?.draft.code)
        let queued = try await JobQueue.enqueue(on: tx.connection, payload, provinceID: province, maxAttempts: 3)
        var args: [String: any Sendable] = ["province_id": province, "phase": phaseCode]
        if let indicator { args["indicator"] = indicator.draft.code }
        try await AuditLog.record(
            tx, actor: caller.actor, action: "allocation.request", entityType: "job", entityID: String(queued.id),
            after: AuditLog.json(args.merging(["coalesced": queued.coalesced]) { a, _ in a }))
        return queued
    }

    /// Computes every unit's yearly targets from the province's phase target, for one indicator
    /// or all active ones, and writes what changed in one transaction, with an audit event.
    /// Infeasible inputs are refused before anything is written.
    public func allocate(province: Int64, phaseCode: String, indicatorCode: String?, caller: Caller) async throws -> AllocationReport {
        try await allocate(province: province, phaseCode: phaseCode, indicator: indicatorCode.map(Reference.code), caller: caller)
    }

    /// Unit attributes by name and unit, in thousandths.
    static func attributes(_ names: Set<String>, tx: TenantTransaction) async throws -> [String: [Int64: Int64]] {
        var result: [String: [Int64: Int64]] = [:]
        for row in try await tx.query(
            "SELECT unit_id, name, round(value * 1000)::bigint AS milli FROM chitieu.unit_attribute WHERE province_id = \(tx.provinceID) AND name = ANY(\(Array(names).sorted()))")
        {
            result[try row.decode(String.self, "name"), default: [:]][try row.decode(Int64.self, "unit_id")] = try row.decode(Int64.self, "milli")
        }
        return result
    }
}

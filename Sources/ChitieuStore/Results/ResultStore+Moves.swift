public import ChitieuDomain
public import Foundation
public import Postgres

// A move (update, submit, approve, return, correct) in two round trips: the result read once and
// locked with everything its rules ask (the unit's path, the indicator's rules, the deadlines, the
// phases), sent with BEGIN; then, once `ResultRules.decide` allows it, the one UPDATE, the result
// read back, the audit event and the recomputations, sent with COMMIT.

extension ResultStore {
    /// Changes a draft or returned result's period and figures; its unit and indicator stay.
    public func edit(
        province: Int64, id: UUID, periodStart: PostgresDate, periodEnd: PostgresDate, figures: ResultFigures, expectedVersion: Int?,
        caller: Caller
    ) async throws -> ResultRecord {
        try await move(
            province: province, id: id,
            .update(start: CalendarDate(periodStart), end: CalendarDate(periodEnd), figures: figures), expectedVersion: expectedVersion, caller: caller)
    }

    /// Changes a draft or returned result's figures or period. The input names the result's own
    /// unit and indicator: a result keeps them (record a new one instead).
    public func update(province: Int64, id: UUID, _ input: ResultInput, expectedVersion: Int?, caller: Caller) async throws -> ResultRecord {
        try await move(
            province: province, id: id,
            .update(start: CalendarDate(input.periodStart), end: CalendarDate(input.periodEnd), figures: input.figures),
            expectedVersion: expectedVersion, caller: caller
        ) { before, tx in
            let unitID: Int64
            switch input.unit {
            case .id(let id): unitID = id
            case .code: unitID = try await tx.resolve.unit(input.unit, field: "unit_id").id
            }
            guard unitID == before.unitID, input.indicatorID == before.indicatorID else {
                throw ChitieuError(.invalid, field: "unit_id", reason: "a result keeps its unit and indicator; record a new one instead")
            }
        }
    }

    /// Submits a draft or returned result to the level above.
    public func submit(province: Int64, id: UUID, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .submit, expectedVersion: expectedVersion, caller: caller)
    }

    /// Approves a submitted result of a unit below the caller's.
    public func approve(province: Int64, id: UUID, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .approve, expectedVersion: expectedVersion, caller: caller)
    }

    /// Returns a submitted result to its unit, with the reason.
    public func giveBack(province: Int64, id: UUID, reason: String, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .giveBack(reason: try Self.reason(reason)), expectedVersion: expectedVersion, caller: caller)
    }

    /// Corrects an approved result (the approving level, or one above it); the previous figures
    /// stay in the audit log.
    public func correct(
        province: Int64, id: UUID, figures: ResultFigures, reason: String, expectedVersion: Int? = nil, caller: Caller
    ) async throws -> ResultRecord {
        try await move(
            province: province, id: id, .correct(figures, reason: try Self.reason(reason)), expectedVersion: expectedVersion, caller: caller)
    }

    /// The decisions the caller may make on the result now (approve, return, correct), by the
    /// same rules as the moves themselves: the policy, the state, the deadline, four eyes, the
    /// level that corrects. Pages offer only these.
    public func decisions(province: Int64, id: UUID, caller: Caller) async throws -> Set<ResultRules.Move> {
        try await database.withTenant(province, opening: Self.moveStatements([id], province: province)) { _, rows in
            let read = try Self.MoveRead(rows)
            guard let before = read.results.first else { throw ChitieuError.notFound("the result") }
            let requests: [ResultRules.Request] = [.approve, .giveBack(reason: "-"), .correct(before.figures, reason: "-")]
            var allowed = Set<ResultRules.Move>()
            for request in requests {
                guard let standing = read.standing(of: before, request: request) else { continue }
                if case .success = ResultRules.decide(
                    request, expectedVersion: nil, on: standing, by: caller.principal, account: caller.actor.accountID, provinceID: province)
                {
                    allowed.insert(request.move)
                }
            }
            return allowed
        }
    }

    /// A reason given for a return or a correction, normalized, or the error naming `reason`.
    static func reason(_ text: String) throws -> String {
        let reason = Names.normalized(text)
        if let problem = Names.problem(with: reason, maxLength: 1000) { throw ChitieuError(.invalid, field: "reason", reason: problem) }
        return reason
    }

    /// Makes `request` of the result `id`: read and locked with BEGIN, decided by
    /// `ResultRules.decide`, then `check` (which may read more), then written with COMMIT.
    func move(
        province: Int64, id: UUID, _ request: ResultRules.Request, expectedVersion: Int?, caller: Caller,
        check: @Sendable (ResultRecord, TenantTransaction) async throws -> Void = { _, _ in }
    ) async throws -> ResultRecord {
        try await database.withTenant(province, opening: Self.moveStatements([id], province: province)) { tx, rows in
            let read = try Self.MoveRead(rows)
            guard let before = read.results.first, let standing = read.standing(of: before, request: request) else {
                throw ChitieuError.notFound("the result")
            }
            let verdict = ResultRules.decide(
                request, expectedVersion: expectedVersion, on: standing, by: caller.principal, account: caller.actor.accountID, provinceID: province)
            switch verdict {
            case .failure(let refusal): throw Self.error(refusal)
            case .success(let verdict):
                try await check(before, tx)
                var statements = Self.writeStatements(request, verdict: verdict, before: before, caller: caller, province: province)
                statements.insert(Self.findQuery(id, province: province), at: 1)
                if request.move != .update {
                    statements += Self.progressJobs(indicatorID: before.indicatorID, phases: read.phases(of: before.periodEnd.year), province: province)
                }
                return try Self.decode(try await tx.commit(after: statements)[1][0])
            }
        }
    }

    /// The error a refused move answers.
    static func error(_ refusal: ResultRules.MoveRefusal) -> any Error {
        switch refusal {
        case .notFound: return ChitieuError.notFound("the result")
        case .notAllowed(let action): return ChitieuError(.forbidden, "your roles do not allow \(Access.describe(action)) here")
        case .forbidden(let reason): return ChitieuError(.forbidden, reason)
        case .conflict(let field, let reason): return ChitieuError(.conflict, field: field, reason: reason)
        case .staleVersion(let expected, let current):
            return ChitieuError.staleVersion(expected: expected, actual: current)
        case .input(let field, let reason): return ChitieuError(.invalid, field: field, reason: reason)
        }
    }

    /// What moves read, sent with BEGIN: the results, locked in one order; the paths of their
    /// units and of the units that approved them; the province's deadlines and reopenings; its
    /// phases. No SQL function runs inside a query of tenant tables (Citus): the paths are
    /// computed over the ids a subquery reads.
    static func moveStatements(_ ids: [UUID], province: Int64) -> [PostgresQuery] {
        [
            """
            SELECT \(sql: columns), \(sql: moveColumns), \(sql: ruleColumns) FROM chitieu.result r \(sql: joins)
            WHERE r.province_id = \(province) AND r.result_id = ANY(\(ids)::uuid[]) ORDER BY r.result_id FOR UPDATE OF r
            """,
            // chitieu.unit_path's walk up, written in (on Citus this statement runs on one worker,
            // where a function reading tenant tables would read an empty placeholder): parents,
            // then from a predecessor province's own unit to the province that took it over.
            """
            WITH RECURSIVE up AS (
                SELECT u.unit_id AS start_id, u.unit_id, u.parent_id, u.level, 0 AS depth FROM chitieu.admin_unit u
                WHERE u.province_id = \(province) AND u.unit_id IN (
                    SELECT unit.id FROM chitieu.result r, unnest(ARRAY[r.unit_id, r.decided_unit_id]) AS unit(id)
                    WHERE r.province_id = \(province) AND r.result_id = ANY(\(ids)::uuid[]) AND unit.id IS NOT NULL)
              UNION ALL
                SELECT up.start_id, n.unit_id, n.parent_id, n.level, up.depth + 1
                FROM up
                LEFT JOIN chitieu.unit_succession s
                  ON s.province_id = \(province) AND s.from_unit_id = up.unit_id AND up.parent_id IS NULL AND up.level = 'province'
                JOIN chitieu.admin_unit n ON n.province_id = \(province) AND n.unit_id = coalesce(up.parent_id, s.to_unit_id)
                WHERE up.depth < 12 AND (up.parent_id IS NOT NULL OR n.level = 'province')
            )
            SELECT start_id AS unit_id, array_agg(unit_id ORDER BY depth DESC) AS path FROM up GROUP BY start_id
            """,
        ] + deadlineStatements(province: province) + [phasesStatement(province: province)]
    }

    /// The columns a move reads beyond `columns` and `ruleColumns`: the unit's level and start.
    static let moveColumns: StaticString = "u.level AS unit_level, u.valid_from AS unit_valid_from"

    /// The rows of `moveStatements`, decoded.
    struct MoveRead {
        var results: [ResultRecord]
        /// Per result id: its unit's level and start, and its indicator's rules.
        var extras: [UUID: (level: UnitLevel, validFrom: CalendarDate, rules: IndicatorRules)]
        var paths: [Int64: [Int64]]
        var deadlines: Deadlines
        var phases: Phases
        /// Today in Vietnam, read with the results (nil when none was found).
        var today: CalendarDate?

        init(_ rows: [PostgresRows]) throws {
            results = []
            extras = [:]
            for row in rows[0] {
                let record = try ResultStore.decode(row)
                results.append(record)
                let (rules, today) = try ResultStore.rules(row)
                self.today = today
                extras[record.id] = (
                    UnitLevel(rawValue: try row.decode(String.self, "unit_level")) ?? .commune, try row.decode(CalendarDate.self, "unit_valid_from"),
                    rules
                )
            }
            paths = [:]
            for row in rows[1] {
                if let path = try row.decode([Int64]?.self, "path"), !path.isEmpty { paths[try row.decode(Int64.self, "unit_id")] = path }
            }
            deadlines = try Deadlines(closing: rows[2], reopened: rows[3])
            phases = try Phases(rows[4])
        }

        /// The phases of a year.
        func phases(of year: Int) -> [Int64] { phases.of(year) }

        /// What `ResultRules.decide` needs of a result read here, or nil when its unit has no path.
        func standing(of r: ResultRecord, request: ResultRules.Request) -> ResultRules.Standing? {
            guard let path = paths[r.unitID], let extra = extras[r.id], let today else { return nil }
            let year = if case .update(_, let end, _) = request { end.year } else { r.periodEnd.year }
            return ResultRules.Standing(
                state: r.state, version: r.version,
                unit: FoundUnit(
                    id: r.unitID, level: extra.level, code: r.unitCode, name: r.unitName, validFrom: extra.validFrom,
                    validTo: r.unitValidTo.map(CalendarDate.init), ended: r.unitEnded),
                path: path, hands: ResultRules.Hands(createdBy: r.createdBy, lastEditedBy: r.lastEditedBy, submittedBy: r.submittedBy),
                approvedAt: r.decidedUnitID.flatMap { paths[$0] }, indicator: extra.rules, deadline: deadlines.of(year), today: today)
        }
    }

    /// The statements a move allowed writes, to send with COMMIT: its UPDATE, its audit events.
    static func writeStatements(
        _ request: ResultRules.Request, verdict: ResultRules.Verdict, before: ResultRecord, caller: Caller, province: Int64
    ) -> [PostgresQuery] {
        let (id, actor, state) = (before.id, caller.actor.accountID, verdict.next.rawValue)
        var after = before
        after.state = verdict.next
        after.version += 1
        let update: PostgresQuery
        var statements: [PostgresQuery] = []
        switch request {
        case .update(let start, let end, let f):
            (after.periodStart, after.periodEnd, after.figures) = (PostgresDate(start), PostgresDate(end), f)
            update = """
                UPDATE chitieu.result SET state = \(state), version = version + 1, updated_at = now(),
                    period_start = \(start), period_end = \(end), value = \(f.value), breakdown = \(breakdownJSON(f))::jsonb,
                    companion_value = \(f.companionValue), evidence_note = \(f.evidenceNote),
                    companion_breakdown = \(companionBreakdownJSON(f))::jsonb, last_edited_by = \(actor)
                WHERE province_id = \(province) AND result_id = \(id)
                """
        case .submit:
            after.returnReason = nil
            update = """
                UPDATE chitieu.result SET state = \(state), version = version + 1, updated_at = now(),
                    submitted_at = now(), submitted_by = \(actor), return_reason = NULL, decided_at = NULL, decided_by = NULL, decided_unit_id = NULL
                WHERE province_id = \(province) AND result_id = \(id)
                """
        case .approve:
            update = """
                UPDATE chitieu.result SET state = \(state), version = version + 1, updated_at = now(),
                    decided_at = now(), decided_by = \(actor), decided_unit_id = \(verdict.decidingUnit)
                WHERE province_id = \(province) AND result_id = \(id)
                """
        case .giveBack(let reason):
            after.returnReason = reason
            update = """
                UPDATE chitieu.result SET state = \(state), version = version + 1, updated_at = now(),
                    decided_at = now(), decided_by = \(actor), return_reason = \(reason)
                WHERE province_id = \(province) AND result_id = \(id)
                """
        case .correct(let f, let reason):
            (after.figures, after.returnReason) = (f, nil)
            update = """
                UPDATE chitieu.result SET state = \(state), version = version + 1, updated_at = now(),
                    value = \(f.value), breakdown = \(breakdownJSON(f))::jsonb, companion_value = \(f.companionValue),
                    evidence_note = coalesce(\(f.evidenceNote), evidence_note), companion_breakdown = \(companionBreakdownJSON(f))::jsonb,
                    last_edited_by = \(actor), decided_at = now(), decided_by = \(actor), return_reason = NULL
                WHERE province_id = \(province) AND result_id = \(id)
                """
            statements.append(AuditLog.insert(
                province: province, actor: caller.actor, action: "result.correction_reason", entityType: "result",
                entityID: id.uuidString.lowercased(), unitID: before.unitID, after: AuditLog.json(["reason": reason])))
        }
        statements.append(AuditLog.insert(
            province: province, actor: caller.actor, action: "result.\(request.move.rawValue)", entityType: "result",
            entityID: id.uuidString.lowercased(), unitID: before.unitID, before: json(before), after: json(after)))
        return [update] + statements
    }
}

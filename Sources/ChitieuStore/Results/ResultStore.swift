public import ChitieuDomain
import ChitieuCrypto
public import Foundation
public import Postgres

/// A request that conflicts with the state of the data (HTTP 409): a move the result's state
/// does not allow, a stale version, an idempotency key reused with other content.
public struct ConflictError: Error, Sendable, CustomStringConvertible, Equatable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// A result as stored.
public struct ResultRecord: Sendable, Hashable {
    public var id: UUID
    public var indicatorID: Int64
    public var indicatorCode: String
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var periodStart: PostgresDate
    public var periodEnd: PostgresDate
    public var figures: ResultFigures
    public var state: ResultRules.State
    public var returnReason: String?
    public var version: Int
    public var createdAt: Date
    public var submittedAt: Date?
    public var decidedAt: Date?
    public var updatedAt: Date
    /// Who created it (four eyes: not its approver).
    public var createdBy: UUID?
    /// Who last changed its figures (four eyes: not its approver).
    public var lastEditedBy: UUID?
    /// Who submitted it (four eyes: not its approver).
    public var submittedBy: UUID?
    /// The unit of the role that approved it (that level, or one above, corrects it).
    public var decidedUnitID: Int64?
    /// The last day of its unit, if the unit has ended or will.
    public var unitValidTo: PostgresDate?
    /// Its unit ended before today: the result is history, read only.
    public var unitEnded: Bool
}

/// What a unit reports: for an indicator and a period.
public struct ResultInput: Sendable, Hashable {
    public var indicatorID: Int64
    public var unit: UnitReference
    public var periodStart: PostgresDate
    public var periodEnd: PostgresDate
    public var figures: ResultFigures

    public init(indicatorID: Int64, unit: UnitReference, periodStart: PostgresDate, periodEnd: PostgresDate, figures: ResultFigures) {
        self.indicatorID = indicatorID
        self.unit = unit
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.figures = figures
    }
}

/// Results: reported, submitted, approved or returned, corrected; each change audited and the
/// completion it moves recomputed by a job enqueued in the same transaction.
public struct ResultStore: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    static let columns: StaticString = """
        r.result_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
        r.period_start, r.period_end, r.value, r.breakdown::text AS breakdown, r.companion_value, r.evidence_note, r.state,
        r.return_reason, r.version, r.created_at, r.submitted_at, r.decided_at, r.updated_at, r.created_by, r.last_edited_by, r.submitted_by,
        r.decided_unit_id,
        u.valid_to AS unit_valid_to, coalesce(u.valid_to < current_date, false) AS unit_ended, r.companion_breakdown::text AS companion_breakdown
        """
    /// The names `columns` reads, joined to results `r`: from the table (`FROM chitieu.result r
    /// \(joins)`) or from a result just written (`FROM r \(joins)`, a CTE of `INSERT … RETURNING *`).
    static let joins: StaticString = """
        JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
        JOIN chitieu.admin_unit u ON u.province_id = r.province_id AND u.unit_id = r.unit_id
        """

    static func decode(_ row: PostgresRow) throws -> ResultRecord {
        func breakdown(_ column: String) throws -> [String: [String: Int]]? {
            try row.decode(String?.self, column).flatMap { try? JSONDecoder().decode([String: [String: Int]].self, from: Data($0.utf8)) }
        }
        return ResultRecord(
            id: try row.decode(UUID.self, "result_id"), indicatorID: try row.decode(Int64.self, "indicator_id"),
            indicatorCode: try row.decode(String.self, "indicator_code"), unitID: try row.decode(Int64.self, "unit_id"),
            unitCode: try row.decode(String.self, "unit_code"), unitName: try row.decode(String.self, "unit_name"),
            periodStart: try row.decode(PostgresDate.self, "period_start"), periodEnd: try row.decode(PostgresDate.self, "period_end"),
            figures: ResultFigures(
                value: try row.decode(Int.self, "value"), breakdown: try breakdown("breakdown"),
                companionValue: try row.decode(Int?.self, "companion_value"), companionBreakdown: try breakdown("companion_breakdown"),
                evidenceNote: try row.decode(String?.self, "evidence_note")),
            state: ResultRules.State(rawValue: try row.decode(String.self, "state")) ?? .draft,
            returnReason: try row.decode(String?.self, "return_reason"), version: try row.decode(Int.self, "version"),
            createdAt: try row.decode(Date.self, "created_at"), submittedAt: try row.decode(Date?.self, "submitted_at"),
            decidedAt: try row.decode(Date?.self, "decided_at"), updatedAt: try row.decode(Date.self, "updated_at"),
            createdBy: try row.decode(UUID?.self, "created_by"), lastEditedBy: try row.decode(UUID?.self, "last_edited_by"),
            submittedBy: try row.decode(UUID?.self, "submitted_by"), decidedUnitID: try row.decode(Int64?.self, "decided_unit_id"),
            unitValidTo: try row.decode(PostgresDate?.self, "unit_valid_to"), unitEnded: try row.decode(Bool.self, "unit_ended"))
    }

    static func find(_ id: UUID, tx: TenantTransaction, lock: Bool = false) async throws -> ResultRecord? {
        let forUpdate: StaticString = lock ? "FOR UPDATE OF r" : ""
        return try await tx.query(
            "SELECT \(sql: columns) FROM chitieu.result r \(sql: joins) WHERE r.province_id = \(tx.provinceID) AND r.result_id = \(id) \(sql: forUpdate)",
            prepared: true
        ).first.map(decode)
    }

    static func json(_ r: ResultRecord) -> String {
        json(
            indicator: r.indicatorCode, unit: r.unitCode, periodStart: r.periodStart, periodEnd: r.periodEnd, figures: r.figures, state: r.state,
            version: r.version, returnReason: r.returnReason)
    }

    static func json(
        indicator: String, unit: String, periodStart: PostgresDate, periodEnd: PostgresDate, figures: ResultFigures, state: ResultRules.State,
        version: Int, returnReason: String?
    ) -> String {
        var object: [String: any Sendable] = [
            "indicator": indicator, "unit": unit, "period_start": periodStart.description, "period_end": periodEnd.description,
            "value": figures.value, "state": state.rawValue, "version": version,
        ]
        if let b = figures.breakdown { object["breakdown"] = b }
        if let c = figures.companionValue { object["companion_value"] = c }
        if let b = figures.companionBreakdown { object["companion_breakdown"] = b }
        if let reason = returnReason { object["return_reason"] = reason }
        return AuditLog.json(object)
    }

    /// The breakdown as stored (jsonb normalises key order whatever the text).
    static func breakdownJSON(_ figures: ResultFigures) -> String? {
        figures.breakdown.map { JSONText.string($0) }
    }

    /// The companion figure's breakdown as stored.
    static func companionBreakdownJSON(_ figures: ResultFigures) -> String? {
        figures.companionBreakdown.map { JSONText.string($0) }
    }

    /// The breakdown's text in the idempotency fingerprint. It stays the text of the first
    /// version (Foundation's sorted keys), so a retry keeps matching the first request's
    /// fingerprint across an upgrade; it runs only when a result carries a breakdown.
    static func fingerprintBreakdown(_ figures: ResultFigures) -> String {
        guard let b = figures.breakdown else { return "" }
        let data = (try? JSONSerialization.data(withJSONObject: b, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    typealias IndicatorRules = ResultRules.IndicatorRules

    static func rules(of indicatorID: Int64, tx: TenantTransaction) async throws -> IndicatorRules {
        try await rulesAndToday(of: indicatorID, tx: tx).rules
    }

    /// The indicator's rules, and today's date in Vietnam, in one statement.
    static func rulesAndToday(of indicatorID: Int64, tx: TenantTransaction) async throws -> (rules: IndicatorRules, today: PostgresDate) {
        try rulesAndToday(try await tx.query(rulesQuery(indicatorID, province: tx.provinceID), prepared: true))
    }

    static func rulesQuery(_ indicatorID: Int64, province: Int64) -> PostgresQuery {
        """
        SELECT code, reporting_levels, disaggregation::text, companion_measure, CASE WHEN status = 'suspended' THEN suspended_from END,
               (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS today, companion_disaggregation::text
        FROM chitieu.indicator WHERE province_id = \(province) AND indicator_id = \(indicatorID)
        """
    }

    static func rulesAndToday(_ rows: PostgresRows) throws -> (rules: IndicatorRules, today: PostgresDate) {
        guard let row = rows.first else { throw AccessError.notFound("the indicator") }
        let rules = IndicatorRules(
            code: try row.decode(String.self, at: 0), reportingLevels: try row.decode([String].self, at: 1),
            disaggregation: try row.decode(String?.self, at: 2).flatMap { try? JSONDecoder().decode([String: [String]].self, from: Data($0.utf8)) },
            companionMeasure: try row.decode(String?.self, at: 3), suspendedFrom: try row.decode(CalendarDate?.self, at: 4),
            companionDisaggregation: try row.decode(String?.self, at: 6).flatMap { try? JSONDecoder().decode([String: [String]].self, from: Data($0.utf8)) })
        return (rules, try row.decode(PostgresDate.self, at: 5))
    }

    /// What a new result needs from the database before it is written, read in one round trip:
    /// its unit and the unit's path, the indicator's rules, whether the year's reporting closed,
    /// and the phases the year belongs to.
    struct Context {
        var unit: FoundUnit
        var rules: IndicatorRules
        var today: PostgresDate
        var path: [Int64]
        var closed: (closesOn: PostgresDate, closed: Bool)
        var phases: [Int64]
    }

    /// The statements of `Context`, for a pipeline.
    static func contextStatements(_ input: ResultInput, unitID: Int64, province: Int64) -> [PostgresQuery] {
        let year = input.periodEnd.year
        return [
            "SELECT \(sql: FoundUnit.columns) FROM chitieu.admin_unit WHERE province_id = \(province) AND unit_id = \(unitID)",
            "SELECT chitieu.unit_path(\(province), \(unitID))",
            rulesQuery(input.indicatorID, province: province),
            deadlineQuery(year: year, province: province),
            phasesQuery(year: year, province: province),
        ]
    }

    /// The context from the rows of `contextStatements`, once the caller may submit for the unit.
    static func context(_ rows: [PostgresRows], caller: Caller, province: Int64) throws -> Context {
        // Not found, then forbidden, then the rules: the order in which a caller learns of them.
        guard let unitRow = rows[0].first else { throw AccessError.notFound("the unit") }
        let unit = try FoundUnit(unitRow)
        guard let path = try rows[1].first?.decode([Int64]?.self, at: 0), !path.isEmpty else { throw AccessError.notFound("the unit") }
        try Access.check(
            Policy.decide(caller.principal, .submitResult, .unit(province, path: path)), action: .submitResult, what: "the unit")
        let (rules, today) = try rulesAndToday(rows[2])
        return Context(
            unit: unit, rules: rules, today: today, path: path,
            closed: (try rows[3][0].decode(PostgresDate.self, "closes_on"), try rows[3][0].decode(Bool.self, "closed")),
            phases: try rows[4].map { try $0.decode(Int64.self, at: 0) })
    }

    /// The statements of `Context` for an input whose unit is given by id, to send with BEGIN;
    /// none for a unit given by code, which `checkedContext` looks up first.
    static func openingStatements(_ input: ResultInput, province: Int64) -> [PostgresQuery] {
        guard case .id(let id) = input.unit else { return [] }
        return contextStatements(input, unitID: id, province: province)
    }

    /// The context of an input, checked: the caller may submit for its unit, and the indicator's
    /// rules and the unit's validity allow it (`validate`). `opened` holds the rows of
    /// `openingStatements` when they went out with BEGIN; otherwise they are read here, in one
    /// round trip (after the lookup of a unit given by code).
    static func checkedContext(
        _ input: ResultInput, opened: [PostgresRows] = [], caller: Caller, tx: TenantTransaction
    ) async throws -> (context: Context, unitID: Int64) {
        var rows = opened
        if rows.isEmpty {
            let unit: Int64
            switch input.unit {
            case .id(let id): unit = id
            case .code: unit = try await AccountStore.unit(input.unit, field: "unit_id", tx: tx).id
            }
            rows = try await tx.connection.pipeline(contextStatements(input, unitID: unit, province: tx.provinceID).map { ($0, true) })
        }
        let context = try Self.context(rows, caller: caller, province: tx.provinceID)
        return (context, try validate(input, unit: context.unit, rules: context.rules, today: context.today))
    }

    /// Refuses an input of a year whose reporting closed, unless reopened for its unit.
    static func checkDeadline(of input: ResultInput, context: Context, tx: TenantTransaction) async throws {
        if context.closed.closed {
            try await checkDeadlineException(year: input.periodEnd.year, path: context.path, closesOn: context.closed.closesOn, tx: tx)
        }
    }

    /// The indicator's rules and the unit's validity, checked against an input (`ResultRules.refusal`).
    /// Returns the unit id.
    static func validate(_ input: ResultInput, unit: FoundUnit, rules: IndicatorRules, today: PostgresDate) throws -> Int64 {
        switch ResultRules.refusal(
            start: CalendarDate(input.periodStart), end: CalendarDate(input.periodEnd), figures: input.figures, unit: unit, indicator: rules,
            today: CalendarDate(today))
        {
        case .input(let field, let reason): throw InputError(field: field, reason: reason)
        case .conflict(let field, let reason): throw ConflictError(field: field, reason: reason)
        case nil: return unit.id
        }
    }

    /// Results of a unit that has ended are history, read only (a merge carried them into the
    /// province that took over).
    static func checkOpen(_ ended: Bool, unit: String, validTo: PostgresDate?) throws {
        if let refusal = EndedUnit.refusal(unit: unit, ended: ended, validTo: validTo.map(CalendarDate.init), what: "its results") {
            throw ConflictError(field: "unit_id", reason: refusal)
        }
    }

    /// Refuses entering or submitting a result of `year` for `unitID` after the year's deadline,
    /// unless the province reopened reporting for the unit or a unit above it.
    static func checkDeadline(year: Int, unitID: Int64, tx: TenantTransaction) async throws {
        let rows = try await tx.query(deadlineQuery(year: year, province: tx.provinceID), prepared: true)
        guard try rows[0].decode(Bool.self, "closed") else { return }
        let path = try await Access.unitPath(unitID, tx: tx) ?? [unitID]
        try await checkDeadlineException(year: year, path: path, closesOn: try rows[0].decode(PostgresDate.self, "closes_on"), tx: tx)
    }

    static func deadlineQuery(year: Int, province: Int64) -> PostgresQuery {
        """
        SELECT coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = \(province) AND year = \(Int16(year))),
                        make_date(\(Int32(year)) + 1, 1, 25)) AS closes_on,
               (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date > coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = \(province) AND year = \(Int16(year))),
                        make_date(\(Int32(year)) + 1, 1, 25)) AS closed
        """
    }

    /// Reporting of `year` closed on `closesOn`: refused unless reopened for a unit on `path`.
    static func checkDeadlineException(year: Int, path: [Int64], closesOn: PostgresDate, tx: TenantTransaction) async throws {
        let open = try await tx.query(
            """
            SELECT 1 FROM chitieu.deadline_exception
            WHERE province_id = \(tx.provinceID) AND year = \(Int16(year)) AND unit_id = ANY(\(path)::bigint[]) AND until >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
            """, prepared: true)
        if open.isEmpty {
            throw ConflictError(field: "period_end", reason: "results of \(year) closed on \(closesOn); the province can reopen reporting for this unit")
        }
    }

    /// Enqueues the recomputation of completion for the result's indicator and phase, in the
    /// same transaction: a burst of approvals coalesces into one pending job.
    static func enqueueProgress(indicatorID: Int64, year: Int, tx: TenantTransaction) async throws {
        let phases = try await tx.query(phasesQuery(year: year, province: tx.provinceID), prepared: true)
        try await enqueueProgress(indicatorID: indicatorID, phases: phases.map { try $0.decode(Int64.self, at: 0) }, tx: tx)
    }

    static func phasesQuery(year: Int, province: Int64) -> PostgresQuery {
        // In one order, so that two changes lock the pending jobs of their phases in one order.
        "SELECT phase_id FROM chitieu.phase WHERE province_id = \(province) AND first_year <= \(Int16(year)) AND last_year >= \(Int16(year)) ORDER BY phase_id"
    }

    /// Recomputes an indicator in every phase of the province: its status or its name changed.
    static func enqueueProgress(indicatorID: Int64, tx: TenantTransaction) async throws {
        let phases = try await tx.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(tx.provinceID)", prepared: true)
        try await enqueueProgress(indicatorID: indicatorID, phases: phases.map { try $0.decode(Int64.self, at: 0) }, tx: tx)
    }

    private static func enqueueProgress(indicatorID: Int64, phases: [Int64], tx: TenantTransaction) async throws {
        for phase in phases {
            try await tx.query(progressJob(indicatorID: indicatorID, phase: phase, province: tx.provinceID), prepared: true)
        }
    }

    /// The progress job of an indicator in a phase, as one statement (see `JobQueue.enqueueStatement`).
    static func progressJob(indicatorID: Int64, phase: Int64, province: Int64) -> PostgresQuery {
        JobQueue.enqueueStatement(
            kind: "progress", provinceID: province, uniqueKey: "progress:\(province):\(phase):\(indicatorID)",
            args: AuditLog.json(["province_id": province, "phase_id": phase, "indicator_id": indicatorID]), priority: 1, maxAttempts: 5)
    }

    static func fingerprint(_ input: ResultInput, unitID: Int64, submit: Bool) -> Data {
        let text = [
            String(input.indicatorID), String(unitID), input.periodStart.description, input.periodEnd.description,
            String(input.figures.value), fingerprintBreakdown(input.figures), input.figures.companionValue.map(String.init) ?? "",
            input.figures.evidenceNote ?? "", submit ? "submit" : "draft",
        ].joined(separator: "\u{1F}")
            // Only results that carry one add the companion breakdown, so earlier fingerprints still match.
            + (companionBreakdownJSON(input.figures).map { "\u{1F}" + $0 } ?? "")
        return Data(SHA256.hash(Array(text.utf8)))
    }

    /// Records a result (a draft, or submitted at once). With an idempotency key, a retry with the
    /// same content returns the first result (`replayed`); the key with other content is a conflict.
    public func create(
        province: Int64, _ input: ResultInput, submit: Bool, idempotencyKey: String?, caller: Caller
    ) async throws -> (result: ResultRecord, replayed: Bool) {
        if let key = idempotencyKey {
            guard (1...200).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F }),
                  !key.hasPrefix("generated:") else {
                throw InputError(field: "Idempotency-Key", reason: "must be 1 to 200 visible ASCII characters, not starting with 'generated:'")
            }
        }
        // Requests with one key at once: the later INSERT waits for the earlier one's transaction
        // (the key is unique) and fails when it commits; read again, it finds that result and
        // replays it (or, with other content, is a conflict). A third try finds it for certain.
        var attempt = 1
        while true {
            do {
                return try await record(province: province, input, submit: submit, idempotencyKey: idempotencyKey, caller: caller)
            } catch is IdempotencyKeyTaken where attempt < 3 {
                attempt += 1
            } catch is IdempotencyKeyTaken {
                throw ConflictError(field: "Idempotency-Key", reason: "a request with this key is being processed; retry it")
            }
        }
    }

    /// A concurrent request with the same idempotency key committed first.
    private struct IdempotencyKeyTaken: Error {}

    /// `create`, once: replays the key's result when there is one, else records a new one.
    private func record(
        province: Int64, _ input: ResultInput, submit: Bool, idempotencyKey: String?, caller: Caller
    ) async throws -> (result: ResultRecord, replayed: Bool) {
        // What the checks need comes with BEGIN, in the first round trip.
        try await database.withTenant(province, opening: Self.openingStatements(input, province: province)) { tx, opened in
            let (context, unitID) = try await Self.checkedContext(input, opened: opened, caller: caller, tx: tx)
            let fingerprint = Self.fingerprint(input, unitID: unitID, submit: submit)
            if let key = idempotencyKey {
                let earlier = try await tx.query(
                    "SELECT result_id, idempotency_fingerprint FROM chitieu.result WHERE province_id = \(province) AND idempotency_key = \(key)",
                    prepared: true)
                if let row = earlier.first {
                    guard try row.decode(Data?.self, at: 1) == fingerprint else {
                        throw ConflictError(field: "Idempotency-Key", reason: "was used before with other content")
                    }
                    return (try await Self.find(try row.decode(UUID.self, at: 0), tx: tx)!, true)
                }
            }
            try await Self.checkDeadline(of: input, context: context, tx: tx)
            // The result (read back with its indicator's and unit's names), its audit event and,
            // for a submission, the recomputations, then COMMIT: one round trip. The id is made
            // here so that the audit event can name it.
            let id = UUID()
            let f = input.figures
            let state: ResultRules.State = submit ? .submitted : .draft
            let insert: PostgresQuery = """
                WITH r AS (
                    INSERT INTO chitieu.result (province_id, result_id, indicator_id, unit_id, period_start, period_end, value, breakdown,
                        companion_value, evidence_note, state, idempotency_key, idempotency_fingerprint, created_by,
                        last_edited_by, submitted_at, submitted_by, companion_breakdown)
                    VALUES (\(province), \(id), \(input.indicatorID), \(unitID), \(input.periodStart), \(input.periodEnd), \(f.value),
                        \(Self.breakdownJSON(f))::jsonb, \(f.companionValue), \(f.evidenceNote), \(state.rawValue),
                        \(idempotencyKey), \(fingerprint), \(caller.actor.accountID), \(caller.actor.accountID),
                        CASE WHEN \(submit) THEN now() END, CASE WHEN \(submit) THEN \(caller.actor.accountID)::uuid END,
                        \(Self.companionBreakdownJSON(f))::jsonb)
                    RETURNING *
                )
                SELECT \(sql: Self.columns) FROM r
                JOIN chitieu.indicator i ON i.province_id = \(province) AND i.indicator_id = r.indicator_id
                JOIN chitieu.admin_unit u ON u.province_id = \(province) AND u.unit_id = r.unit_id
                """
            let audit = AuditLog.insert(
                province: province, actor: caller.actor, action: submit ? "result.submit" : "result.create", entityType: "result",
                entityID: id.uuidString.lowercased(), unitID: unitID,
                after: Self.json(
                    indicator: context.rules.code, unit: context.unit.code, periodStart: input.periodStart, periodEnd: input.periodEnd,
                    figures: f, state: state, version: 1, returnReason: nil))
            let jobs = (submit ? context.phases : []).map { Self.progressJob(indicatorID: input.indicatorID, phase: $0, province: province) }
            do {
                return (try Self.decode(try await tx.commit(after: [insert, audit] + jobs)[0][0]), false)
            } catch let error as PostgresError where error.isUniqueViolation && error.constraint == "result_province_id_idempotency_key_key" {
                // The same key arrived twice at once: the other request won; this one is its retry.
                throw IdempotencyKeyTaken()
            }
        }
    }

    /// Applies a move to a result the caller may make, checking its state and, when given, its version.
    func move(
        province: Int64, id: UUID, _ move: ResultRules.Move, expectedVersion: Int?, caller: Caller,
        _ body: @Sendable (ResultRecord, TenantTransaction) async throws -> Void
    ) async throws -> ResultRecord {
        try await database.withTenant(province) { tx in
            guard let before = try await Self.find(id, tx: tx, lock: true) else { throw AccessError.notFound("the result") }
            let action: Action = (move == .approve || move == .giveBack || move == .correct) ? .decideResult : .submitResult
            try await Access.require(caller, action, unit: before.unitID, what: "the result", tx: tx)
            try Self.checkOpen(before.unitEnded, unit: "\(before.unitCode) \(before.unitName)", validTo: before.unitValidTo)
            guard let next = ResultRules.next(before.state, move) else {
                throw ConflictError(field: "state", reason: "a \(before.state.rawValue) result cannot be \(Self.pastTense(move))")
            }
            if let expectedVersion, expectedVersion != before.version {
                throw ConflictError(field: "version", reason: "the result changed since version \(expectedVersion) (it is at version \(before.version)); reload it")
            }
            try await body(before, tx)
            try await tx.query(
                """
                UPDATE chitieu.result SET state = \(next.rawValue), version = version + 1, updated_at = now()
                WHERE province_id = \(province) AND result_id = \(id)
                """, prepared: true)
            let after = try await Self.find(id, tx: tx)!
            try await AuditLog.record(
                tx, actor: caller.actor, action: "result.\(move.rawValue)", entityType: "result", entityID: id.uuidString.lowercased(),
                unitID: before.unitID, before: Self.json(before), after: Self.json(after))
            if move != .update {
                try await Self.enqueueProgress(indicatorID: before.indicatorID, year: before.periodEnd.year, tx: tx)
            }
            return after
        }
    }

    static func pastTense(_ move: ResultRules.Move) -> String {
        switch move {
        case .update: "changed"
        case .submit: "submitted"
        case .approve: "approved"
        case .giveBack: "returned"
        case .correct: "corrected (only approved results are)"
        }
    }

    /// Changes a draft or returned result's figures or period.
    public func update(province: Int64, id: UUID, _ input: ResultInput, expectedVersion: Int?, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .update, expectedVersion: expectedVersion, caller: caller) { before, tx in
            let (context, unitID) = try await Self.checkedContext(input, caller: caller, tx: tx)
            guard unitID == before.unitID, input.indicatorID == before.indicatorID else {
                throw InputError(field: "unit_id", reason: "a result keeps its unit and indicator; record a new one instead")
            }
            try await Self.checkDeadline(of: input, context: context, tx: tx)
            let f = input.figures
            try await tx.query(
                """
                UPDATE chitieu.result SET period_start = \(input.periodStart), period_end = \(input.periodEnd), value = \(f.value),
                    breakdown = \(Self.breakdownJSON(f))::jsonb, companion_value = \(f.companionValue), evidence_note = \(f.evidenceNote),
                    companion_breakdown = \(Self.companionBreakdownJSON(f))::jsonb, last_edited_by = \(caller.actor.accountID)
                WHERE province_id = \(tx.provinceID) AND result_id = \(id)
                """, prepared: true)
        }
    }

    /// Submits a draft or returned result to the level above.
    public func submit(province: Int64, id: UUID, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .submit, expectedVersion: expectedVersion, caller: caller) { before, tx in
            try await Self.checkDeadline(year: before.periodEnd.year, unitID: before.unitID, tx: tx)
            try await tx.query(
                """
                UPDATE chitieu.result SET submitted_at = now(), submitted_by = \(caller.actor.accountID), return_reason = NULL,
                    decided_at = NULL, decided_by = NULL, decided_unit_id = NULL
                WHERE province_id = \(tx.provinceID) AND result_id = \(id)
                """, prepared: true)
        }
    }

    /// Approves a submitted result of a unit below the caller's.
    public func approve(province: Int64, id: UUID, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        try await move(province: province, id: id, .approve, expectedVersion: expectedVersion, caller: caller) { before, tx in
            let hands = ResultRules.Hands(createdBy: before.createdBy, lastEditedBy: before.lastEditedBy, submittedBy: before.submittedBy)
            if let refusal = ResultRules.fourEyesRefusal(hands, approver: caller.actor.accountID) { throw AccessError(.forbidden, refusal) }
            try await tx.query(
                """
                UPDATE chitieu.result SET decided_at = now(), decided_by = \(caller.actor.accountID),
                    decided_unit_id = \(try await Self.decidingUnit(caller, of: before.unitID, tx: tx))
                WHERE province_id = \(tx.provinceID) AND result_id = \(id)
                """, prepared: true)
        }
    }

    /// The unit of the caller's role that decides on a result of `unitID`: the nearest unit above
    /// it where the caller holds a role that approves (nil for the operator).
    static func decidingUnit(_ caller: Caller, of unitID: Int64, tx: TenantTransaction) async throws -> Int64? {
        guard !caller.isOperator, let path = try await Access.unitPath(unitID, tx: tx) else { return nil }
        return ResultRules.approvingUnit(of: caller.principal, path: path)
    }

    /// Returns a submitted result to its unit, with the reason.
    public func giveBack(province: Int64, id: UUID, reason rawReason: String, expectedVersion: Int? = nil, caller: Caller) async throws -> ResultRecord {
        let reason = Names.normalized(rawReason)
        if let problem = Names.problem(with: reason, maxLength: 1000) { throw InputError(field: "reason", reason: problem) }
        return try await move(province: province, id: id, .giveBack, expectedVersion: expectedVersion, caller: caller) { _, tx in
            try await tx.query(
                """
                UPDATE chitieu.result SET decided_at = now(), decided_by = \(caller.actor.accountID), return_reason = \(reason)
                WHERE province_id = \(tx.provinceID) AND result_id = \(id)
                """, prepared: true)
        }
    }

    /// Corrects an approved result (the approving level only); the previous figures stay in the
    /// audit log.
    public func correct(
        province: Int64, id: UUID, figures: ResultFigures, reason rawReason: String, expectedVersion: Int? = nil, caller: Caller
    ) async throws -> ResultRecord {
        let reason = Names.normalized(rawReason)
        if let problem = Names.problem(with: reason, maxLength: 1000) { throw InputError(field: "reason", reason: problem) }
        return try await move(province: province, id: id, .correct, expectedVersion: expectedVersion, caller: caller) { before, tx in
            // The reporting unit's rules, but the approving level's permission: the level that
            // approved, or one above it.
            if let (field, reason) = try await Self.rules(of: before.indicatorID, tx: tx).problem(with: figures) {
                throw InputError(field: field, reason: reason)
            }
            if !caller.isOperator, let approvedAt = before.decidedUnitID, let path = try await Access.unitPath(approvedAt, tx: tx),
                let refusal = ResultRules.correctionRefusal(caller.principal, approvedAt: path)
            {
                throw AccessError(.forbidden, refusal)
            }
            try await tx.query(
                """
                UPDATE chitieu.result SET value = \(figures.value), breakdown = \(Self.breakdownJSON(figures))::jsonb,
                    companion_value = \(figures.companionValue), evidence_note = coalesce(\(figures.evidenceNote), evidence_note),
                    companion_breakdown = \(Self.companionBreakdownJSON(figures))::jsonb,
                    last_edited_by = \(caller.actor.accountID), decided_at = now(), decided_by = \(caller.actor.accountID), return_reason = NULL
                WHERE province_id = \(tx.provinceID) AND result_id = \(id)
                """, prepared: true)
            try await AuditLog.record(
                tx, actor: caller.actor, action: "result.correction_reason", entityType: "result", entityID: id.uuidString.lowercased(),
                unitID: before.unitID, after: AuditLog.json(["reason": reason]))
        }
    }

    /// Sets the day a year's results close (province officers).
    public func setDeadline(province: Int64, year: Int, closesOn: PostgresDate, caller: Caller) async throws {
        guard (2000...2100).contains(year), closesOn.year >= year else {
            throw InputError(field: "closes_on", reason: "must fall in \(year) or later")
        }
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageIndicators, tx: tx)
            try await tx.query(
                """
                INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on, set_by) VALUES (\(province), \(Int16(year)), \(closesOn), \(caller.actor.accountID))
                ON CONFLICT (province_id, year) DO UPDATE SET closes_on = excluded.closes_on, set_by = excluded.set_by, set_at = excluded.set_at
                """)
            try await AuditLog.record(
                tx, actor: caller.actor, action: "deadline.set", entityType: "reporting_deadline", entityID: String(year),
                after: AuditLog.json(["closes_on": closesOn.description]))
        }
    }

    /// Reopens reporting of a year for a unit and its subtree until a day, with a reason.
    public func openException(province: Int64, unit: UnitReference, year: Int, until: PostgresDate, reason rawReason: String, caller: Caller) async throws -> Int64 {
        guard (2000...2100).contains(year) else { throw InputError(field: "year", reason: "must be between 2000 and 2100") }
        let reason = Names.normalized(rawReason)
        if let problem = Names.problem(with: reason, maxLength: 1000) { throw InputError(field: "reason", reason: problem) }
        return try await database.withTenant(province) { tx in
            let found = try await AccountStore.unit(unit, field: "unit", tx: tx)
            try await Access.require(caller, .manageIndicators, tx: tx)
            // Today in Vietnam, as the deadline check reads it (not the session's time zone).
            let today = try await tx.query("SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")[0].decode(PostgresDate.self, at: 0)
            guard until >= today else { throw InputError(field: "until", reason: "\(until) is in the past") }
            let id = try await tx.query(
                """
                INSERT INTO chitieu.deadline_exception (province_id, unit_id, year, reason, until, granted_by)
                VALUES (\(province), \(found.id), \(Int16(year)), \(reason), \(until), \(caller.actor.accountID)) RETURNING exception_id
                """)[0].decode(Int64.self, at: 0)
            try await AuditLog.record(
                tx, actor: caller.actor, action: "deadline.exception", entityType: "deadline_exception", entityID: String(id), unitID: found.id,
                after: AuditLog.json(["year": year, "until": until.description, "reason": reason]))
            return id
        }
    }

    /// One result the caller may read.
    public func find(province: Int64, id: UUID, caller: Caller) async throws -> ResultRecord {
        try await database.withTenant(province) { tx in
            guard let record = try await Self.find(id, tx: tx) else { throw AccessError.notFound("the result") }
            try await Access.require(caller, .read, unit: record.unitID, what: "the result", tx: tx)
            return record
        }
    }

    /// A filter on results.
    public struct Filter: Sendable {
        public var indicatorID: Int64?
        /// Results of this unit and its subtree.
        public var unitID: Int64?
        public var state: ResultRules.State?
        public var year: Int?
        /// The cursor of the previous page: (created_at, result_id) of its last row.
        public var after: (Date, UUID)?
        public var limit: Int

        public init(indicatorID: Int64? = nil, unitID: Int64? = nil, state: ResultRules.State? = nil, year: Int? = nil, after: (Date, UUID)? = nil, limit: Int = 100) {
            self.indicatorID = indicatorID
            self.unitID = unitID
            self.state = state
            self.year = year
            self.after = after
            self.limit = limit
        }
    }

    /// Results in the caller's scope (or below `unitID`), newest first, a page at a time.
    public func list(province: Int64, filter: Filter, caller: Caller) async throws -> [ResultRecord] {
        try Paging.check(limit: filter.limit)
        if let year = filter.year, !(2000...2100).contains(year) { throw InputError(field: "year", reason: "must be between 2000 and 2100") }
        return try await database.withTenant(province) { tx in
            let scope = try await Access.scope(try await Access.scopeRoots(caller, unit: filter.unitID, tx: tx), tx: tx)
            return try await tx.query(
                """
                WITH scope AS (
                    SELECT unnest(\(scope.ids)::bigint[]) AS unit_id
                )
                SELECT \(sql: Self.columns) FROM chitieu.result r \(sql: Self.joins)
                WHERE r.province_id = \(province) AND r.unit_id IN (SELECT unit_id FROM scope)
                  AND (\(filter.indicatorID)::bigint IS NULL OR r.indicator_id = \(filter.indicatorID))
                  AND (\(filter.state?.rawValue)::text IS NULL OR r.state = \(filter.state?.rawValue))
                  AND (\(filter.year.map { Int16($0) })::smallint IS NULL OR r.year = \(filter.year.map { Int16($0) }))
                  AND (\(filter.after?.0)::timestamptz IS NULL OR (r.created_at, r.result_id) < (\(filter.after?.0), \(filter.after?.1)))
                ORDER BY r.created_at DESC, r.result_id DESC
                LIMIT \(filter.limit)
                """
            ).map(Self.decode)
        }
    }
}

public import ChitieuDomain
import ChitieuCrypto
public import Foundation
public import Postgres

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

    static func find(_ id: UUID, tx: TenantTransaction) async throws -> ResultRecord? {
        try await tx.query(findQuery(id, province: tx.provinceID), prepared: true).first.map(decode)
    }

    /// The statement that reads one result as `decode` takes it.
    static func findQuery(_ id: UUID, province: Int64) -> PostgresQuery {
        "SELECT \(sql: columns) FROM chitieu.result r \(sql: joins) WHERE r.province_id = \(province) AND r.result_id = \(id)"
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

    /// The indicator's rules, and today in Vietnam, beside `i.code AS indicator_code`: read by
    /// `rulesQuery` for a new result and with the result for a move, decoded by `rules(_:)`.
    static let ruleColumns: StaticString = """
        i.reporting_levels, i.disaggregation::text AS disaggregation, i.companion_measure,
        CASE WHEN i.status = 'suspended' THEN i.suspended_from END AS suspended_from,
        i.companion_disaggregation::text AS companion_disaggregation, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS today
        """

    static func rulesQuery(_ indicatorID: Int64, province: Int64) -> PostgresQuery {
        """
        SELECT i.code AS indicator_code, \(sql: ruleColumns)
        FROM chitieu.indicator i WHERE i.province_id = \(province) AND i.indicator_id = \(indicatorID)
        """
    }

    /// The indicator's rules and today in Vietnam, from a row holding `ruleColumns`.
    static func rules(_ row: PostgresRow) throws -> (rules: IndicatorRules, today: CalendarDate) {
        func dimensions(_ column: String) throws -> [String: [String]]? {
            try row.decode(String?.self, column).flatMap { try? JSONDecoder().decode([String: [String]].self, from: Data($0.utf8)) }
        }
        let rules = IndicatorRules(
            code: try row.decode(String.self, "indicator_code"), reportingLevels: try row.decode([String].self, "reporting_levels"),
            disaggregation: try dimensions("disaggregation"), companionMeasure: try row.decode(String?.self, "companion_measure"),
            suspendedFrom: try row.decode(CalendarDate?.self, "suspended_from"), companionDisaggregation: try dimensions("companion_disaggregation"))
        return (rules, try row.decode(CalendarDate.self, "today"))
    }

    /// The statements that read the province's deadlines: the days years close, and the
    /// reopenings not yet past (`Deadlines`).
    static func deadlineStatements(province: Int64) -> [PostgresQuery] {
        [
            "SELECT year, closes_on FROM chitieu.reporting_deadline WHERE province_id = \(province)",
            """
            SELECT year, unit_id FROM chitieu.deadline_exception
            WHERE province_id = \(province) AND until >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
            """,
        ]
    }

    /// The province's deadlines, read by `deadlineStatements`.
    struct Deadlines {
        var closing: [Int: CalendarDate] = [:]
        var reopened: [Int: Set<Int64>] = [:]

        init(closing: PostgresRows, reopened: PostgresRows) throws {
            for row in closing { self.closing[try row.decode(Int.self, at: 0)] = try row.decode(CalendarDate.self, at: 1) }
            for row in reopened { self.reopened[try row.decode(Int.self, at: 0), default: []].insert(try row.decode(Int64.self, at: 1)) }
        }

        /// The deadline of a year.
        func of(_ year: Int) -> ResultRules.Deadline {
            ResultRules.Deadline(
                year: year, closesOn: closing[year] ?? ResultRules.Deadline.defaultClosing(of: year), reopenedFor: reopened[year] ?? [])
        }
    }

    /// The statement that reads the province's phases (`Phases`), in one order, so that two
    /// changes lock the pending jobs of their phases in one order.
    static func phasesStatement(province: Int64) -> PostgresQuery {
        "SELECT phase_id, first_year, last_year FROM chitieu.phase WHERE province_id = \(province) ORDER BY phase_id"
    }

    /// The province's phases, read by `phasesStatement`.
    struct Phases {
        var all: [(id: Int64, years: ClosedRange<Int>)] = []

        init(_ rows: PostgresRows) throws {
            for row in rows {
                let (first, last) = (try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
                all.append((try row.decode(Int64.self, at: 0), first...max(first, last)))
            }
        }

        /// The phases a year belongs to.
        func of(_ year: Int) -> [Int64] { all.filter { $0.years.contains(year) }.map(\.id) }
    }

    /// What a new result needs from the database before it is written, read in one round trip:
    /// its unit and the unit's path, the indicator's rules, whether the year's reporting closed,
    /// and the phases the year belongs to.
    struct Context {
        var unit: FoundUnit
        var rules: IndicatorRules
        var today: CalendarDate
        var path: [Int64]
        var deadline: ResultRules.Deadline
        var phases: [Int64]
    }

    /// The statements of `Context`, for a pipeline.
    static func contextStatements(_ input: ResultInput, unitID: Int64, province: Int64) -> [PostgresQuery] {
        [
            "SELECT \(sql: FoundUnit.columns) FROM chitieu.admin_unit WHERE province_id = \(province) AND unit_id = \(unitID)",
            "SELECT chitieu.unit_path(\(province), \(unitID))",
            rulesQuery(input.indicatorID, province: province),
        ] + deadlineStatements(province: province) + [phasesStatement(province: province)]
    }

    /// The context from the rows of `contextStatements`, once the caller may submit for the unit.
    static func context(_ rows: [PostgresRows], year: Int, caller: Caller, province: Int64) throws -> Context {
        // Not found, then forbidden, then the rules: the order in which a caller learns of them.
        guard let unitRow = rows[0].first else { throw ChitieuError.notFound("the unit") }
        let unit = try FoundUnit(unitRow)
        guard let path = try rows[1].first?.decode([Int64]?.self, at: 0), !path.isEmpty else { throw ChitieuError.notFound("the unit") }
        try Access.check(
            Policy.decide(caller.principal, .submitResult, .unit(province, path: path)), action: .submitResult, what: "the unit")
        guard let rulesRow = rows[2].first else { throw ChitieuError.notFound("the indicator") }
        let (rules, today) = try Self.rules(rulesRow)
        return Context(
            unit: unit, rules: rules, today: today, path: path, deadline: try Deadlines(closing: rows[3], reopened: rows[4]).of(year),
            phases: try Phases(rows[5]).of(year))
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
            case .code: unit = try await tx.resolve.unit(input.unit, field: "unit_id").id
            }
            rows = try await tx.connection.pipeline(contextStatements(input, unitID: unit, province: tx.provinceID).map { ($0, true) })
        }
        let context = try Self.context(rows, year: input.periodEnd.year, caller: caller, province: tx.provinceID)
        return (context, try validate(input, unit: context.unit, rules: context.rules, today: context.today))
    }

    /// Refuses an input of a year whose reporting closed, unless reopened for its unit.
    static func checkDeadline(_ context: Context) throws {
        if let refusal = context.deadline.refusal(path: context.path, today: context.today) {
            throw ChitieuError(.deadlinePassed, field: "period_end", reason: refusal)
        }
    }

    /// The indicator's rules and the unit's validity, checked against an input (`ResultRules.refusal`).
    /// Returns the unit id.
    static func validate(_ input: ResultInput, unit: FoundUnit, rules: IndicatorRules, today: CalendarDate) throws -> Int64 {
        if let error = ResultRules.error(
            start: CalendarDate(input.periodStart), end: CalendarDate(input.periodEnd), figures: input.figures, unit: unit, indicator: rules,
            today: today)
        {
            throw error
        }
        return unit.id
    }

    /// Recomputes an indicator in every phase of the province: its status or its name changed.
    static func enqueueProgress(indicatorID: Int64, tx: TenantTransaction) async throws {
        let phases = try Phases(try await tx.query(phasesStatement(province: tx.provinceID), prepared: true)).all.map(\.id)
        guard !phases.isEmpty else { return }
        _ = try await tx.connection.pipeline(progressJobs(indicatorID: indicatorID, phases: phases, province: tx.provinceID).map { ($0, true) })
    }

    /// Enqueues the recomputation of completion for an indicator in phases, as statements to send
    /// in the transaction of the change (see `JobQueue.enqueueStatement`): a burst of approvals
    /// coalesces into one pending job per indicator and phase.
    static func progressJobs(indicatorID: Int64, phases: [Int64], province: Int64) -> [PostgresQuery] {
        phases.map { phase in
            JobQueue.enqueueStatement(
                kind: "progress", provinceID: province, uniqueKey: "progress:\(province):\(phase):\(indicatorID)",
                args: AuditLog.json(["province_id": province, "phase_id": phase, "indicator_id": indicatorID]), priority: 1, maxAttempts: 5)
        }
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
                  !key.hasPrefix("generated:"), !key.hasPrefix("import:") else {
                throw ChitieuError(.invalid, field: "Idempotency-Key", reason: "must be 1 to 200 visible ASCII characters, not starting with 'generated:' or 'import:'")
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
                throw ChitieuError(.conflict, field: "Idempotency-Key", reason: "a request with this key is being processed; retry it")
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
                        throw ChitieuError(.conflict, field: "Idempotency-Key", reason: "was used before with other content")
                    }
                    return (try await Self.find(try row.decode(UUID.self, at: 0), tx: tx)!, true)
                }
            }
            try Self.checkDeadline(context)
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
            let jobs = Self.progressJobs(indicatorID: input.indicatorID, phases: submit ? context.phases : [], province: province)
            do {
                return (try Self.decode(try await tx.commit(after: [insert, audit] + jobs)[0][0]), false)
            } catch let error as PostgresError where error.isUniqueViolation && error.constraint == "result_province_id_idempotency_key_key" {
                // The same key arrived twice at once: the other request won; this one is its retry.
                throw IdempotencyKeyTaken()
            }
        }
    }

    /// Sets the day a year's results close (province officers).
    public func setDeadline(province: Int64, year: Int, closesOn: PostgresDate, caller: Caller) async throws {
        guard (2000...2100).contains(year), closesOn.year >= year else {
            throw ChitieuError(.invalid, field: "closes_on", reason: "must fall in \(year) or later")
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
        guard (2000...2100).contains(year) else { throw ChitieuError(.invalid, field: "year", reason: "must be between 2000 and 2100") }
        let reason = Names.normalized(rawReason)
        if let problem = Names.problem(with: reason, maxLength: 1000) { throw ChitieuError(.invalid, field: "reason", reason: problem) }
        return try await database.withTenant(province) { tx in
            let found = try await tx.resolve.unit(unit, field: "unit")
            try await Access.require(caller, .manageIndicators, tx: tx)
            // Today in Vietnam, as the deadline check reads it (not the session's time zone).
            let today = try await tx.query("SELECT (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")[0].decode(PostgresDate.self, at: 0)
            guard until >= today else { throw ChitieuError(.invalid, field: "until", reason: "\(until) is in the past") }
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
            guard let record = try await Self.find(id, tx: tx) else { throw ChitieuError.notFound("the result") }
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
        if let year = filter.year, !(2000...2100).contains(year) { throw ChitieuError(.invalid, field: "year", reason: "must be between 2000 and 2100") }
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

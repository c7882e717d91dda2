import ChitieuDomain
import Foundation
import Postgres

extension AllocationStore {
    /// The version of the cascade's arithmetic, mixed into the fingerprint: a program that
    /// allocates differently does not trust what an earlier one left. Raise it with any change
    /// to `AllocationCascade` that can change a cell.
    static let cascadeVersion: Int64 = 1

    /// What an allocation reads, in one round trip (two when a rule weighs by a unit attribute).
    struct Inputs {
        var indicators: [Indicator]
        var units: [TargetUnit]
        var cells: [Int64: [TargetCell]] = [:]
        var rules: [Int64: [Int64: AllocationRule]] = [:]
        var attributes: [String: [Int64: Int64]] = [:]
        var rows = 0
        /// The database is Citus: every cell is written by the upsert (see `write`).
        var distributed = false
    }

    /// An indicator's cells to write: those the snapshot has none of, and those whose stored
    /// value differs.
    struct Changes {
        var indicator: Indicator
        var absent: [TargetCell] = []
        var differing: [TargetCell] = []
        var total: Int
        var count: Int { absent.count + differing.count }
    }

    /// The same, with the indicator (if one) named by id or by code, as an `allocate` job names it.
    ///
    /// The run takes one snapshot (REPEATABLE READ). It first compares the fingerprint of the
    /// phase's cells, rules, indicators and units with the one the last allocation of every
    /// indicator stored; when they are equal the province is as that allocation left it, which
    /// allocating again would not change, and the run ends having read one row. Otherwise it
    /// reads everything at once, computes, writes the cells that differ for every indicator in
    /// one statement (two on one server: see `write`), and (allocating every indicator) stores the
    /// fingerprint of what it leaves, all with COMMIT in one round trip.
    public func allocate(province: Int64, phaseCode: String, indicator indicatorReference: Reference?, caller: Caller) async throws -> AllocationReport {
        try await database.withTenant(province, isolation: .repeatableRead) { tx in
            try await Access.require(caller, .planAllocation, tx: tx)
            let clock = ContinuousClock()
            var started = clock.now
            var report = AllocationReport()
            let phase = try await tx.resolve.phase(phaseCode)
            var only: Indicator?
            if let indicatorReference { only = try await tx.resolve.indicator(indicatorReference) }
            let fingerprint = try await tx.query(Self.fingerprint(phase, province: tx.provinceID, store: false), prepared: true)[0]
            report.rowsRead = 1
            report.statements = 1
            if let stored = try fingerprint.decode(Int64?.self, "stored"), try stored == fingerprint.decode(Int64?.self, "current") {
                report.upToDate = true
                report.databaseSeconds = (clock.now - started).seconds
                return report
            }
            let inputs = try await Self.inputs(phase: phase, only: only, report: &report, tx: tx)
            var dbTime = clock.now - started
            started = clock.now
            let changes = try Self.compute(inputs, phase: phase, report: &report)
            report.computeSeconds = (clock.now - started).seconds
            started = clock.now
            let sent = changes.map(\.count).reduce(0, +)
            let writes = Self.write(changes, phase: phase, province: tx.provinceID, distributed: inputs.distributed)
            var queries = writes
            for change in changes where change.count > 0 {
                queries.append(AuditLog.insert(
                    province: tx.provinceID, actor: caller.actor, action: "target.allocate", entityType: "target",
                    entityID: "\(change.indicator.draft.code)/\(phase.code)",
                    after: AuditLog.json(["cells": change.total, "changed": change.count])))
            }
            if only == nil { queries.append(Self.fingerprint(phase, province: tx.provinceID, store: true)) }
            if !queries.isEmpty {
                let rows = try await Self.retryingCellClash { try await tx.commit(after: queries) }
                report.statements += queries.count
                if sent > 0 { report.changed = rows.prefix(writes.count).map(\.affectedRows).reduce(0, +) }
            }
            dbTime += clock.now - started
            report.databaseSeconds = dbTime.seconds
            return report
        }
    }

    /// The indicators (`only`, or all), the units of the phase, its cells and rules, read in one
    /// round trip; the province must not have ended.
    static func inputs(phase: Phase, only: Indicator?, report: inout AllocationReport, tx: TenantTransaction) async throws -> Inputs {
        let province = tx.provinceID
        let indicatorFilter: StaticString = only == nil ? "" : "AND indicator_id = $3"
        var queries: [PostgresQuery] = [
            TargetStore.unitsQuery(of: phase, province: province),
            PostgresQuery(
                unsafeSQL: "SELECT indicator_id, unit_id, year, value, origin, locked FROM chitieu.target WHERE province_id = $1 AND phase_id = $2 \(indicatorFilter)",
                bindings: bindings(province, phase.id, only?.id)),
            PostgresQuery(
                unsafeSQL: "SELECT indicator_id, unit_id, \(ruleColumns) FROM chitieu.allocation_rule WHERE province_id = $1 AND phase_id = $2 \(indicatorFilter)",
                bindings: bindings(province, phase.id, only?.id)),
        ]
        queries.append(ChitieuDatabase.isCitus)
        if only == nil {
            queries.append("SELECT \(sql: IndicatorStore.columns) FROM chitieu.indicator WHERE province_id = \(province) ORDER BY code")
        }
        let rows = try await tx.connection.pipeline(queries.map { ($0, true) })
        report.statements += queries.count
        var inputs = Inputs(indicators: try only.map { [$0] } ?? rows[4].map(IndicatorStore.decode), units: try rows[0].map(TargetStore.decodeUnit))
        inputs.distributed = try rows[3][0].decode(Bool.self, "citus")
        // A province that ended (merged into another) keeps its targets as history.
        if let root = TargetUnit.root(of: inputs.units),
            let error = EndedUnit.error(field: "province", unit: root.name, ended: root.ended, validTo: root.validTo, what: "its targets")
        {
            throw error
        }
        for row in rows[1] {
            inputs.cells[try row.decode(Int64.self, "indicator_id"), default: []].append(TargetCell(
                unitID: try row.decode(Int64.self, "unit_id"), year: try row.decode(Int16?.self, "year").map(Int.init),
                value: try row.decode(Int.self, "value"), origin: try row.decode(String.self, "origin"), locked: try row.decode(Bool.self, "locked")))
        }
        for row in rows[2] {
            inputs.rules[try row.decode(Int64.self, "indicator_id"), default: [:]][try row.decode(Int64.self, "unit_id")] = try decodeRule(row)
        }
        inputs.rows = rows.map(\.count).reduce(0, +) - rows[3].count  // the province's rows, not the Citus answer
        let attributeNames = Set(inputs.rules.values.flatMap(\.values).compactMap(\.weightAttribute))
        if !attributeNames.isEmpty {
            inputs.attributes = try await attributes(attributeNames, tx: tx)
            inputs.rows += inputs.attributes.values.map(\.count).reduce(0, +)
            report.statements += 1
        }
        report.rowsRead += inputs.rows
        return inputs
    }

    /// The province, the phase and (when one is named) the indicator as parameters $1–$3.
    static func bindings(_ province: Int64, _ phase: Int64, _ indicator: Int64?) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(province)
        bindings.append(phase)
        if let indicator { bindings.append(indicator) }
        return bindings
    }

    /// Every indicator's cells, and of those the ones to write: the cells whose value differs;
    /// locked and assigned cells are never written. Suspended indicators and those without a
    /// phase target are skipped, and said so in `report`.
    static func compute(_ inputs: Inputs, phase: Phase, report: inout AllocationReport) throws -> [Changes] {
        var changes: [Changes] = []
        for indicator in inputs.indicators {
            if indicator.status == "suspended" {
                report.skipped.append((indicator.draft.code, "suspended"))
                continue
            }
            let cells = inputs.cells[indicator.id] ?? []
            let computed: [TargetCell]?
            do throws(AllocationError) {
                computed = try AllocationCascade.cells(
                    indicator: indicator.draft, phase: phase, units: inputs.units, cells: cells, rules: inputs.rules[indicator.id] ?? [:],
                    attributes: inputs.attributes)
            } catch {
                throw ChitieuError(.infeasible, field: error.field, reason: error.reason)
            }
            guard let computed else {
                report.skipped.append((indicator.draft.code, "no phase target for the province"))
                continue
            }
            var stored: [Int64: [Int?: TargetCell]] = [:]
            for cell in cells { stored[cell.unitID, default: [:]][cell.year] = cell }
            var change = Changes(indicator: indicator, total: computed.count)
            for cell in computed {
                if let old = stored[cell.unitID]?[cell.year] {
                    if !old.locked && old.origin != "assigned" && (old.value != cell.value || old.origin != "allocated") { change.differing.append(cell) }
                } else {
                    change.absent.append(cell)
                }
            }
            changes.append(change)
            report.indicators.append(indicator.draft.code)
            report.cells += computed.count
        }
        return changes
    }

    /// Writes the cells of every indicator that differ, leaving locked and assigned cells alone,
    /// their columns sent as four arrays (one parameter each, however many cells), planned once
    /// and written set-wise. On one server the cells the snapshot has none of are inserted by a
    /// plain INSERT, and only the others by the upsert, whose speculative insertion costs about
    /// a tenth more per row. On Citus every cell goes through the upsert: its ON CONFLICT lets
    /// Citus write the rows with INSERT statements, not COPY, which row-level security refuses.
    /// A cell inserted meanwhile by another transaction fails the plain INSERT on the cell's
    /// key; `retryingCellClash` then runs the allocation again, which finds it.
    static func write(_ changes: [Changes], phase: Phase, province: Int64, distributed: Bool) -> [PostgresQuery] {
        var absent: [(Int64, TargetCell)] = [], present: [(Int64, TargetCell)] = []
        for change in changes {
            let id = change.indicator.id
            if distributed { present += change.absent.map { (id, $0) } } else { absent += change.absent.map { (id, $0) } }
            present += change.differing.map { (id, $0) }
        }
        return [(absent, false), (present, true)].filter { !$0.0.isEmpty }.map { cells, upsert in
            let conflict: StaticString = upsert ? """
                ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO UPDATE
                SET value = excluded.value, origin = 'allocated', set_at = excluded.set_at, set_by = NULL
                WHERE NOT t.locked AND t.origin <> 'assigned' AND (t.value, t.origin) IS DISTINCT FROM (excluded.value, 'allocated')
                """ : ""
            return """
                INSERT INTO chitieu.target AS t (province_id, indicator_id, unit_id, phase_id, year, value, origin)
                SELECT \(province), c.indicator_id, c.unit_id, \(phase.id), c.year, c.value, 'allocated'
                FROM unnest(\(cells.map(\.0))::bigint[], \(cells.map(\.1.unitID))::bigint[], \(cells.map { $0.1.year.map { Int16($0) } })::smallint[],
                            \(cells.map { Int64($0.1.value) })::bigint[]) AS c(indicator_id, unit_id, year, value)
                \(sql: conflict)
                """
        }
    }

    /// `body`, with a unique violation of a target cell's key (a cell that another transaction
    /// inserted after this one's snapshot, which the plain INSERT of `write` meets) turned into a
    /// serialization failure, which `withTenant` retries.
    static func retryingCellClash<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.isUniqueViolation && error.table == "target" {
            throw PostgresError(
                code: .server, message: "a target cell was inserted by another transaction: \(error.message)", sqlState: SQLState.serializationFailure)
        }
    }

    /// Reads (`store` false: columns `stored` and `current`) or stores the fingerprint of what an
    /// allocation of the phase depends on and leaves: every target cell of the phase (inputs and
    /// outputs: indicator, unit, year, value, origin, lock — not when or by whom), its rules, the province's indicators, the units valid during the phase (with
    /// whether they have ended by today) and their attributes, and `cascadeVersion`. Each row is
    /// hashed to 64 bits (a seed per table) and the hashes are combined by XOR, so no row is sent
    /// and nothing is sorted; any row added, removed or changed changes it, but for a chance of
    /// 2⁻⁶⁴. A cell, the bulk of it, is hashed column by column, each hash the seed of the next:
    /// a pass over the phase's cells then costs little more than counting them (the row as text,
    /// hashed once, cost three times as much).
    static func fingerprint(_ phase: Phase, province: Int64, store: Bool) -> PostgresQuery {
        // Read, it is computed only when one is stored: a phase never allocated has nothing to match.
        let head: StaticString =
            store ? "UPDATE chitieu.phase p SET allocation_fingerprint =" : "SELECT p.allocation_fingerprint AS stored, CASE WHEN p.allocation_fingerprint IS NOT NULL THEN"
        let tail: StaticString = store ? "" : "END AS current FROM chitieu.phase p"
        return """
            \(sql: head) (
                (SELECT coalesce(bit_xor(hashtextextended(t.origin, hashint8extended(t.value, hashint8extended(t.unit_id,
                        hashint8extended(t.indicator_id, coalesce(t.year, -1) * 2 + t.locked::int))))), 0)
                 FROM chitieu.target t WHERE t.province_id = \(province) AND t.phase_id = \(phase.id))
                # (SELECT coalesce(bit_xor(hashtextextended(r::text, 2)), 0) FROM chitieu.allocation_rule r WHERE r.province_id = \(province) AND r.phase_id = \(phase.id))
                # (SELECT coalesce(bit_xor(hashtextextended(i::text, 3)), 0) FROM chitieu.indicator i WHERE i.province_id = \(province))
                # (SELECT coalesce(bit_xor(hashtextextended(u::text || coalesce(u.valid_to < current_date, false)::text, 4)), 0)
                   FROM chitieu.admin_unit u
                   WHERE u.province_id = \(province) AND u.valid_from <= \(phase.end) AND (u.valid_to IS NULL OR u.valid_to >= \(phase.start)))
                # (SELECT coalesce(bit_xor(hashtextextended(a::text, 5)), 0) FROM chitieu.unit_attribute a WHERE a.province_id = \(province))
                # \(cascadeVersion)::bigint) \(sql: tail)
            WHERE p.province_id = \(province) AND p.phase_id = \(phase.id)
            """
    }
}

public import ChitieuDomain
public import ChitieuWorkbook
public import Foundation
import Postgres

extension ImportStore {
    /// A target row checked and ready to write, with the cell as stored before (if any).
    struct CheckedTarget {
        var source: TargetImportRow
        var indicator: Indicator
        var unit: TargetUnit
        var before: TargetCell?
    }

    /// Checks the targets of a phase in a file (`dryRun`) or sets them, as `target set` sets one
    /// cell: each unit one of the phase's, in the caller's scope for setting targets and not
    /// ended; a year of the phase (none: the phase target); a locked cell refused unless its value
    /// stays. A target equal to the stored one is left as it is.
    public func importTargets(
        province: Int64, file: Data, phase phaseCode: String, dryRun: Bool, caller: Caller, reader: WorkbookReader = WorkbookReader()
    ) async throws -> ImportReport {
        let sheet = try ImportSheet(try ImportFile.table(file, reader: reader), required: ImportColumn.targetsRequired)
        let (rows, unreadable) = sheet.targetRows()
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            let phase = try await tx.resolve.phase(phaseCode)
            let units = try await TargetStore.units(of: phase, tx: tx)
            let indicators = Dictionary(
                try await tx.query(
                    "SELECT \(sql: IndicatorStore.columns) FROM chitieu.indicator WHERE province_id = \(province)", prepared: true
                ).map(IndicatorStore.decode).map { ($0.draft.code, $0) }, uniquingKeysWith: { first, _ in first })
            let paths = try await Self.paths(of: units.map(\.id), tx: tx)
            let cells = try await Self.cells(phase: phase, tx: tx)
            var problems = unreadable
            var changed: [CheckedTarget] = []
            var unchanged = 0
            var rowOfCell: [CellKey: Int] = [:]
            for row in rows {
                do {
                    let unit = try tx.resolve.unit(.code(row.unitCode), among: units, phase: phase, field: ImportColumn.unitCode.key)
                    try Access.check(
                        Policy.decide(caller.principal, .setTarget, .unit(province, path: paths[unit.id] ?? [])), action: .setTarget, what: "the unit")
                    guard let indicator = indicators[row.indicatorCode] else {
                        throw ChitieuError.unknownIndicator(ImportColumn.indicatorCode.key, code: row.indicatorCode)
                    }
                    if let year = row.year, !phase.years.contains(year) { throw ChitieuError.outsidePhase(ImportColumn.year.key, year: year, phase: phase.code) }
                    if let error = unit.endedError("its targets", field: ImportColumn.unitCode.key) { throw error }
                    let key = CellKey(indicator: indicator.id, unit: unit.id, year: row.year)
                    if let first = rowOfCell[key] { throw ChitieuError(.invalid, field: ImportColumn.target.key, .importDuplicate, ["row": .count(first)]) }
                    rowOfCell[key] = row.row.number
                    let before = cells[key]
                    if before?.value == row.value && before?.origin == Self.origin(unit, row.year) {
                        unchanged += 1
                        continue
                    }
                    if before?.locked == true { throw ChitieuError(.locked, field: ImportColumn.target.key, .targetLocked) }
                    changed.append(CheckedTarget(source: row, indicator: indicator, unit: unit, before: before))
                } catch let error as ChitieuError {
                    problems.append(sheet.problem(row.row, field: error.field ?? "", error))
                }
            }
            var report = ImportReport(
                kind: .targets, dryRun: dryRun, sheet: sheet.name, rows: rows.count + unreadable.count, recorded: changed.count,
                unchanged: unchanged, problems: ImportFile.sorted(problems))
            if !report.accepted { report.recorded = 0 }
            guard report.accepted, !dryRun, !changed.isEmpty else { return report }
            report.recorded = try await tx.query(Self.upsert(changed, phase: phase, caller: caller, province: province)).affectedRows
            return report
        }
    }

    /// The origin a cell set by hand takes: `assigned` for the province's phase target.
    static func origin(_ unit: TargetUnit, _ year: Int?) -> String {
        unit.level == .province && year == nil ? "assigned" : "overridden"
    }

    struct CellKey: Hashable {
        var indicator: Int64
        var unit: Int64
        var year: Int?
    }

    /// The phase's stored cells.
    static func cells(phase: Phase, tx: TenantTransaction) async throws -> [CellKey: TargetCell] {
        var out: [CellKey: TargetCell] = [:]
        for row in try await tx.query(
            """
            SELECT indicator_id, unit_id, year, value, origin, locked FROM chitieu.target
            WHERE province_id = \(tx.provinceID) AND phase_id = \(phase.id)
            """)
        {
            let year = try row.decode(Int16?.self, "year").map(Int.init)
            let unit = try row.decode(Int64.self, "unit_id")
            out[CellKey(indicator: try row.decode(Int64.self, "indicator_id"), unit: unit, year: year)] = TargetCell(
                unitID: unit, year: year, value: try row.decode(Int.self, "value"), origin: try row.decode(String.self, "origin"),
                locked: try row.decode(Bool.self, "locked"))
        }
        return out
    }

    /// One statement: the cells set (a locked cell keeps its lock), each with the audit event
    /// `target set` writes.
    static func upsert(_ rows: [CheckedTarget], phase: Phase, caller: Caller, province: Int64) -> PostgresQuery {
        let origins = rows.map { origin($0.unit, $0.source.year) }
        let entities = rows.map { "\($0.indicator.draft.code)/\(phase.code)/\($0.unit.code)/\($0.source.year.map(String.init) ?? "phase")" }
        let before: [String?] = rows.map { row in
            row.before.map { AuditLog.json(["value": $0.value, "origin": $0.origin, "locked": $0.locked]) }
        }
        let after = rows.indices.map {
            AuditLog.json(["value": rows[$0].source.value, "origin": origins[$0], "locked": rows[$0].before?.locked ?? false])
        }
        let actor = caller.actor
        return """
            WITH input AS (
                SELECT * FROM unnest(
                    \(rows.map(\.indicator.id))::bigint[], \(rows.map(\.unit.id))::bigint[], \(rows.map { $0.source.year.map { Int16($0) } })::smallint[],
                    \(rows.map(\.source.value))::bigint[], \(origins)::text[], \(entities)::text[], \(before)::text[], \(after)::text[]
                ) AS t(indicator_id, unit_id, year, value, origin, entity_id, before, after)
            ),
            written AS (
                INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin, locked, set_by)
                SELECT \(province), i.indicator_id, i.unit_id, \(phase.id), i.year, i.value, i.origin, false, \(actor.accountID)::uuid FROM input i
                ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO UPDATE
                SET value = excluded.value, origin = excluded.origin, set_by = excluded.set_by, set_at = excluded.set_at
                RETURNING indicator_id, unit_id, year
            )
            INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, via, request_id, action, entity_type, entity_id, unit_id, before, after)
            SELECT \(province), \(actor.accountID)::uuid, \(actor.label), \(actor.via.rawValue), \(actor.requestID), 'target.set', 'target',
                   i.entity_id, i.unit_id, i.before::jsonb, i.after::jsonb
            FROM written w JOIN input i ON i.indicator_id = w.indicator_id AND i.unit_id = w.unit_id AND i.year IS NOT DISTINCT FROM w.year
            """
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench.ReformBench {
    /// What a merge copies from a predecessor and the floor writes, in foreign-key order.
    static let floorTables = ["admin_unit", "unit_attribute", "unit_succession", "target", "allocation_rule", "result"]
    /// The catalogue a merge adds when the merged province lacks it (matched by code).
    static let catalogueTables = ["phase", "indicator"]

    /// Vacuums and analyses the tables a merge reads and writes, before the merges and before
    /// their floor, so that both start from the same state.
    static func vacuumCarried(_ owner: ChitieuDatabase) async throws {
        let tables = (floorTables + catalogueTables).map(FloorSQL.table).joined(separator: ", ")
        try await owner.pool.withConnection { c in try await c.executeScript("VACUUM ANALYZE " + tables) }
    }

    /// The merges' fair floor: `floorMerges` of the merges, spread over them by rows carried,
    /// redone by `floorMerge`, one at a time as the reform runs them; printed beside the merges
    /// with the floor scaled by rows to the rows the merges carried into the same tables.
    func mergeFloor(_ owner: ChitieuDatabase, _ report: ReformReport, day: PostgresDate) async throws {
        let tables = Self.floorTables + Self.catalogueTables
        func rows(_ merge: MergeReport) -> Int {
            merge.parts.reduce(0) { total, part in total + tables.reduce(0) { $0 + (part.carried[$1] ?? 0) } }
        }
        let sorted = report.merges.sorted { rows($0) < rows($1) }
        let n = min(floorMerges, sorted.count)
        guard n > 0 else { return }
        let chosen = (0..<n).map { sorted[(2 * $0 + 1) * sorted.count / (2 * n)] }
        try await Self.vacuumCarried(owner)
        var floorRows = 0, floorSeconds = 0.0
        for merge in chosen {
            let run = try await floorMerge(owner, merge, day: day)
            guard run.rows == rows(merge) else {
                throw BenchFailure("the merges' floor wrote \(run.rows) rows for \(merge.province.code) where the merge carried \(rows(merge))")
            }
            floorRows += run.rows
            floorSeconds += run.seconds
        }
        let productRows = report.merges.reduce(0) { $0 + rows($1) }, productSeconds = report.seconds["merges"] ?? 0
        let scaled = floorRows > 0 ? floorSeconds * Double(productRows) / Double(floorRows) : 0
        let predecessors = chosen.reduce(0) { $0 + $1.parts.count }
        Self.line("merges' fair floor: \(n) of \(sorted.count) merges redone",
                  String(format: "%8.2f s   (%d rows, %.0f rows/s)", floorSeconds, floorRows, FloorSQL.rate(floorRows, floorSeconds)))
        print("    " + chosen.map { "\($0.province.code) from \($0.parts.map(\.predecessor.code).joined(separator: "+"))" }.joined(separator: ", ")
            + ": the rows those merges carried into")
        print("    \(tables.joined(separator: ", ")),")
        print("    read under each predecessor's scope into staging tables, written by one INSERT … SELECT a")
        print("    table under a scratch province's (the same tables, keys, role and row-level security; one")
        print("    merge at a time; rolled back)")
        Self.line("  merges, rows of the same tables", String(format: "%8.2f s   (%d rows, %.0f rows/s)", productSeconds, productRows, FloorSQL.rate(productRows, productSeconds)))
        Self.line("  the floor scaled by rows to those", String(format: "%8.2f s", scaled))
        Self.line("  ratio merges / fair floor", String(format: "%8.2f ×   (the merges also move accounts and grants, and end units)", scaled > 0 ? productSeconds / scaled : 0))
    }

    /// One merge redone by set-based statements in a transaction rolled back: a scratch province
    /// beginning on `day` with the default phases, as a new province begins, then each predecessor's rows carried into it by `floorCarry`. The rows
    /// written and the seconds of the carrying (the scratch province's own row not counted).
    func floorMerge(_ owner: ChitieuDatabase, _ merge: MergeReport, day: PostgresDate) async throws -> (rows: Int, seconds: Double) {
        try await owner.pool.withConnection { c in
            try await c.query("BEGIN")
            do {
                let scratch = try await c.query("SELECT nextval(pg_get_serial_sequence('chitieu.province', 'province_id'))")[0].decode(Int64.self, at: 0)
                try await c.query("SELECT chitieu.use_province(\(scratch))")
                try await c.query("INSERT INTO chitieu.province (province_id, code, name, valid_from) VALUES (\(scratch), '00', 'Floor', \(day))")
                // As a new province begins: with the default phases.
                for phase in TenantStore.defaultPhases {
                    try await c.query(
                        """
                        INSERT INTO chitieu.phase (province_id, code, first_year, last_year)
                        VALUES (\(scratch), \("\(phase.first)-\(phase.last)"), \(Int16(phase.first)), \(Int16(phase.last)))
                        """)
                }
                var rows = 0
                let seconds = try await Figures.time {
                    for part in merge.parts { rows += try await Self.floorCarry(part.predecessor.id, into: scratch, c) }
                }
                try await c.query("ROLLBACK")
                return (rows, seconds)
            } catch {
                _ = try? await c.query("ROLLBACK")
                throw error
            }
        }
    }

    /// A predecessor's rows carried into province `b` as a merge carries them: read under its
    /// scope into staging tables, then under `b`'s the phases and indicators `b` lacks (by code),
    /// and one INSERT … SELECT per table with the rows' ids, indicators and phases mapped by
    /// code, idempotency keys left behind. The rows written.
    static func floorCarry(_ p: Int64, into b: Int64, _ c: PostgresConnection) async throws -> Int {
        let tables = floorTables + catalogueTables
        try await c.query("SELECT chitieu.use_province(\(p))")
        for t in tables {
            try await c.query(PostgresQuery(unsafeSQL: "CREATE TEMP TABLE floor_\(t) (LIKE \(FloorSQL.table(t)))"))
            try await c.query(PostgresQuery(unsafeSQL: "INSERT INTO floor_\(t) SELECT * FROM \(FloorSQL.table(t)) WHERE province_id = $1", bindings: binding(p)))
        }
        try await c.query("SELECT chitieu.use_province(\(b))")
        var rows = 0
        for t in catalogueTables + floorTables {
            let columns = try await FloorSQL.columns(t, c).filter { t != "indicator" || $0 != "indicator_id" }
            let key = t == "phase" ? ["province_id", "code", "first_year", "last_year"] : columns
            let names = key.filter(columns.contains)
            let values = names.map { name -> String in
                switch name {
                case "province_id": "$1"
                case "indicator_id": "ni.indicator_id"
                case "phase_id": "np.phase_id"
                case "idempotency_key", "idempotency_fingerprint": "NULL"
                default: "s." + PostgresQuery.quoteIdentifier(name)
                }
            }
            var from = "floor_\(t) s"
            if Self.catalogueTables.contains(t) {
                from += " WHERE NOT EXISTS (SELECT 1 FROM \(FloorSQL.table(t)) x WHERE x.province_id = $1 AND x.code = s.code)"
            } else {
                if names.contains("indicator_id") {
                    from += " LEFT JOIN floor_indicator oi ON oi.indicator_id = s.indicator_id LEFT JOIN chitieu.indicator ni ON ni.province_id = $1 AND ni.code = oi.code"
                }
                if names.contains("phase_id") {
                    from += " LEFT JOIN floor_phase op ON op.phase_id = s.phase_id LEFT JOIN chitieu.phase np ON np.province_id = $1 AND np.code = op.code"
                }
            }
            let identity = t == "phase" || t == "indicator" ? "" : " OVERRIDING SYSTEM VALUE"
            rows += try await c.query(PostgresQuery(
                unsafeSQL: "INSERT INTO \(FloorSQL.table(t)) (\(names.map(PostgresQuery.quoteIdentifier).joined(separator: ", ")))\(identity) SELECT \(values.joined(separator: ", ")) FROM \(from)",
                bindings: binding(b))).affectedRows
        }
        try await c.executeScript(tables.map { "DROP TABLE floor_\($0)" }.joined(separator: "; "))
        return rows
    }

    static func binding(_ id: Int64) -> PostgresBindings {
        var b = PostgresBindings()
        b.append(id)
        return b
    }
}

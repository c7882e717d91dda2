public import ChitieuDomain
public import Foundation
public import Postgres

/// Completion on the units of one day: targets and results of units that ended before it are
/// carried to the units that succeeded them (`Succession.carry`), then added to those units' own
/// and rolled up their tree.
public struct OnUnitsFigures: Sendable {
    /// The figures, per indicator, unit valid on `asOf`, and year (nil: the phase).
    public var figures: [ProgressFigure]
    /// Values of units that ended without a successor (not counted), by unit code.
    public var unplaced: [String]
    public var asOf: PostgresDate
    public var phase: Phase
}

extension ProgressStore {
    /// Computes completion of a phase on the units valid on `asOf` (read in the province's own
    /// transaction). Figures are those of `compute` but on today's units: a result of a commune
    /// that was split counts in its successors by their weights, exactly as allocation rounds.
    static func onUnits(phase: Phase, asOf: PostgresDate, today: PostgresDate, tx: TenantTransaction) async throws -> OnUnitsFigures {
        let p = tx.provinceID
        struct Unit { var id: Int64; var level: UnitLevel; var code: String; var name: String; var parent: Int64?; var current: Bool }
        var units: [Int64: Unit] = [:]
        for row in try await tx.query(
            """
            SELECT unit_id, level, code, name, parent_id, valid_from <= \(asOf) AND (valid_to IS NULL OR valid_to >= \(asOf)) AS current
            FROM chitieu.admin_unit
            WHERE province_id = \(p) AND valid_from <= \(phase.end) AND (valid_to IS NULL OR valid_to >= \(phase.start))
            """, prepared: true)
        {
            let id = try row.decode(Int64.self, "unit_id")
            units[id] = Unit(
                id: id, level: UnitLevel(rawValue: try row.decode(String.self, "level")) ?? .commune, code: try row.decode(String.self, "code"),
                name: try row.decode(String.self, "name"), parent: try row.decode(Int64?.self, "parent_id"), current: try row.decode(Bool.self, "current"))
        }
        let current = Set(units.values.filter(\.current).map(\.id))
        let links = try await tx.query(
            """
            SELECT s.from_unit_id, s.to_unit_id, t.code, (s.weight * 1000000)::bigint AS weight
            FROM chitieu.unit_succession s JOIN chitieu.admin_unit t ON t.province_id = s.province_id AND t.unit_id = s.to_unit_id
            WHERE s.province_id = \(p) AND s.effective_date <= \(asOf)
            """, prepared: true
        ).map { SuccessionLink(from: try $0.decode(Int64.self, at: 0), to: try $0.decode(Int64.self, at: 1), toKey: try $0.decode(String.self, at: 2), weight: try $0.decode(Int64.self, at: 3)) }
        // Targets belong to a level: they go to a successor of the same level (a district's have none).
        let targetLinks = links.filter { units[$0.from]?.level == units[$0.to]?.level }

        struct Indicator { var id: Int64; var kind: IndicatorKind; var suspended: Bool; var code: String; var name: String; var measure: String; var companion: String? }
        let indicators = try await tx.query(
            "SELECT indicator_id, kind, status, code, name, measure_unit, companion_measure FROM chitieu.indicator WHERE province_id = \(p) ORDER BY code",
            prepared: true
        ).map {
            Indicator(
                id: try $0.decode(Int64.self, at: 0), kind: IndicatorKind(rawValue: try $0.decode(String.self, at: 1)) ?? .flow,
                suspended: try $0.decode(String.self, at: 2) == "suspended", code: try $0.decode(String.self, at: 3),
                name: try $0.decode(String.self, at: 4), measure: try $0.decode(String.self, at: 5), companion: try $0.decode(String?.self, at: 6))
        }
        let n = phase.years.count
        func index(_ year: Int16?) -> Int? { year.map { Int($0) - phase.firstYear } }
        // [indicator: [unit: series]]
        var targets: [Int64: [Int64: YearlySeries]] = [:]
        for row in try await tx.query(
            "SELECT indicator_id, unit_id, year, value FROM chitieu.target WHERE province_id = \(p) AND phase_id = \(phase.id)", prepared: true)
        {
            let i = try row.decode(Int64.self, at: 0), u = try row.decode(Int64.self, at: 1), v = Int(try row.decode(Int64.self, at: 3))
            var s = targets[i]?[u] ?? .empty(years: n)
            if let y = index(try row.decode(Int16?.self, at: 2)) { if (0..<n).contains(y) { s.years[y] = v } } else { s.phase = v }
            targets[i, default: [:]][u] = s
        }
        // Per reporting unit and year, as compute_progress reads them: flow sums, stock the latest level.
        var approved: [Int64: [Int64: YearlySeries]] = [:], submitted: [Int64: [Int64: YearlySeries]] = [:], companion: [Int64: [Int64: YearlySeries]] = [:]
        for row in try await tx.query(
            """
            SELECT r.indicator_id, r.unit_id, r.year,
                   CASE WHEN i.kind = 'flow' THEN (sum(r.value) FILTER (WHERE r.state = 'approved'))::bigint
                        ELSE (array_agg(r.value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1] END,
                   CASE WHEN i.kind = 'flow' THEN sum(r.value)::bigint
                        ELSE (array_agg(r.value ORDER BY r.period_end DESC, coalesce(r.decided_at, r.submitted_at) DESC NULLS LAST, r.result_id))[1] END,
                   CASE WHEN i.kind = 'flow' THEN (sum(r.companion_value) FILTER (WHERE r.state = 'approved'))::bigint
                        ELSE (array_agg(r.companion_value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1] END
            FROM chitieu.result r JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
            WHERE r.province_id = \(p) AND r.state IN ('approved', 'submitted') AND r.year BETWEEN \(Int16(phase.firstYear)) AND \(Int16(phase.lastYear))
            GROUP BY r.indicator_id, r.unit_id, r.year, i.kind
            """, prepared: true)
        {
            let i = try row.decode(Int64.self, at: 0), u = try row.decode(Int64.self, at: 1)
            guard let y = index(try row.decode(Int16?.self, at: 2)) else { continue }
            for (k, column) in [3, 4, 5].enumerated() {
                guard let v = try row.decode(Int64?.self, at: column) else { continue }
                switch k {
                case 0: approved[i, default: [:]][u, default: .empty(years: n)].years[y] = Int(v)
                case 1: submitted[i, default: [:]][u, default: .empty(years: n)].years[y] = Int(v)
                default: companion[i, default: [:]][u, default: .empty(years: n)].years[y] = Int(v)
                }
            }
        }
        let shares = try await tx.query(
            """
            SELECT y, chitieu.elapsed_share(y, y, \(today))::float8 FROM generate_series(\(phase.firstYear)::int, \(phase.lastYear)::int) y
            UNION ALL SELECT 0, chitieu.elapsed_share(\(phase.firstYear)::int, \(phase.lastYear)::int, \(today))::float8
            """, prepared: true
        ).reduce(into: [Int: Double]()) { $0[Int(try $1.decode(Int32.self, at: 0))] = try $1.decode(Double.self, at: 1) }

        // The current tree: children of each current unit.
        var children: [Int64: [Int64]] = [:]
        for u in units.values where u.current { if let parent = u.parent, current.contains(parent) { children[parent, default: []].append(u.id) } }
        var unplaced = Set<String>()

        /// Results' phase values from their years: flow sums, stock the last year with a level.
        func withPhase(_ s: YearlySeries, _ kind: IndicatorKind) -> YearlySeries {
            var s = s
            let present = s.years.compactMap { $0 }
            s.phase = present.isEmpty ? nil : kind == .flow ? present.reduce(0, +) : s.years.last { $0 != nil }!
            return s
        }
        /// Own values of current units with what earlier units carried to them.
        func combine(_ own: [Int64: YearlySeries], _ kind: IndicatorKind, links: [SuccessionLink], isResult: Bool) throws -> [Int64: YearlySeries] {
            let old = own.filter { !current.contains($0.key) }.mapValues { isResult ? withPhase($0, kind) : $0 }
            let (carried, lost) = try Succession.carry(kind: kind, series: old, links: links, current: current)
            for (u, s) in lost where s.phase != nil || s.years.contains(where: { $0 != nil }) { unplaced.insert(units[u]?.code ?? String(u)) }
            var out: [Int64: YearlySeries] = [:]
            for u in current {
                let mine = own[u].map { isResult ? withPhase($0, kind) : $0 }
                let theirs = carried[u]
                guard mine != nil || theirs != nil else { continue }
                var s = mine ?? .empty(years: n)
                if let theirs {
                    if kind == .flow && isResult {
                        s.add(theirs)
                    } else {
                        // A target set on the unit itself stands over what its predecessors had, as
                        // compute_progress reads it; a level is read at the end of the year: the
                        // unit's own, else its predecessors'.
                        for y in 0..<n where s.years[y] == nil { s.years[y] = theirs.years[y] }
                        if !isResult && s.phase == nil { s.phase = theirs.phase }
                    }
                }
                out[u] = isResult ? withPhase(s, kind) : s
            }
            return out
        }
        /// Sums of a unit's subtree in the current tree.
        func rolled(_ base: [Int64: YearlySeries]) -> [Int64: YearlySeries] {
            var memo: [Int64: YearlySeries] = [:]
            func total(_ u: Int64) -> YearlySeries {
                if let m = memo[u] { return m }
                var s = base[u] ?? .empty(years: n)
                for c in children[u] ?? [] { s.add(total(c)) }
                memo[u] = s
                return s
            }
            for u in current { _ = total(u) }
            return memo
        }

        var figures: [ProgressFigure] = []
        let now = Date()
        for indicator in indicators {
            let t = try combine(targets[indicator.id] ?? [:], indicator.kind, links: targetLinks, isResult: false)
            let a = rolled(try combine(approved[indicator.id] ?? [:], indicator.kind, links: links, isResult: true))
            let w = rolled(try combine(submitted[indicator.id] ?? [:], indicator.kind, links: links, isResult: true))
            let c = rolled(try combine(companion[indicator.id] ?? [:], indicator.kind, links: links, isResult: true))
            for id in current {
                let u = units[id]!
                for y in [nil] + phase.years.map(Optional.some) {
                    let pick: (YearlySeries?) -> Int? = { s in y.map { s?.years[$0 - phase.firstYear] ?? nil } ?? s?.phase }
                    let target = pick(t[id]), achieved = pick(a[id]) ?? 0
                    let status = Progress.status(achieved: achieved, target: target, elapsedShare: shares[y ?? 0] ?? 0, suspended: indicator.suspended)
                    figures.append(ProgressFigure(
                        indicatorID: indicator.id, indicatorCode: indicator.code, indicatorName: indicator.name, measureUnit: indicator.measure,
                        unitID: id, unitCode: u.code, unitName: u.name, unitLevel: u.level, parentID: u.parent, year: y, target: target,
                        achieved: achieved, achievedWithSubmitted: pick(w[id]) ?? 0, companionMeasure: indicator.companion, companion: pick(c[id]),
                        rate: Progress.rate(achieved: achieved, target: target), status: status, computedAt: now))
                }
            }
        }
        return OnUnitsFigures(figures: figures, unplaced: unplaced.sorted(), asOf: asOf, phase: phase)
    }

    /// Completion of a phase on the units valid on `asOf`, for the caller's scope (or `unit`'s,
    /// a unit valid on `asOf`) down `depth` levels, ordered like `figures` (indicator code, level,
    /// Vietnamese name).
    public func figuresOnUnits(
        province: Int64, phaseCode: String, asOf: PostgresDate, year: Int?, unit: UnitReference? = nil, depth: Int = 10,
        indicatorCode: String? = nil, caller: Caller
    ) async throws -> OnUnitsFigures {
        try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(phaseCode, year: year)
            let roots = try await tx.resolve.scope(of: caller, from: unit, on: CalendarDate(asOf))
            let scope = try await Access.scope(roots, depth: depth, tx: tx)
            // The units in scope, in the order of the figures' listing.
            let position = Dictionary(uniqueKeysWithValues: try await tx.query(
                """
                SELECT u.unit_id FROM unnest(\(scope.ids)::bigint[]) AS s(unit_id)
                JOIN chitieu.admin_unit u ON u.province_id = \(province) AND u.unit_id = s.unit_id
                ORDER BY chitieu.level_rank(u.level), u.name, u.code
                """
            ).enumerated().map { (try $1.decode(Int64.self, at: 0), $0) })
            let today = try await tx.query("SELECT current_date", prepared: true)[0].decode(PostgresDate.self, at: 0)
            var result = try await Self.onUnits(phase: phase, asOf: asOf, today: today, tx: tx)
            result.figures = result.figures
                .filter { position[$0.unitID] != nil && $0.year == year && (indicatorCode == nil || $0.indicatorCode == indicatorCode) }
                .sorted { ($0.indicatorCode, position[$0.unitID]!) < ($1.indicatorCode, position[$1.unitID]!) }
            return result
        }
    }

    /// Whether a unit of the phase has ended (a merged or split province): then its figures on
    /// today's units (`figuresOnUnits`) differ from those as reported.
    public func unitsEnded(province: Int64, phaseCode: String, caller: Caller) async throws -> Bool {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            let rows = try await tx.query(
                "SELECT \(sql: Self.unitsEnded) FROM chitieu.phase ph WHERE ph.province_id = \(province) AND ph.code = \(phaseCode)", prepared: true)
            return try rows.first?.decode(Bool.self, at: 0) ?? false
        }
    }

    /// Whether a unit of the phase `ph` has ended (then its figures on today's units differ).
    static let unitsEnded: StaticString = """
        EXISTS (SELECT 1 FROM chitieu.admin_unit u WHERE u.province_id = ph.province_id AND u.valid_to < current_date
                  AND u.valid_to >= make_date(ph.first_year, 1, 1) AND u.valid_from <= make_date(ph.last_year, 12, 31)) AS units_ended
        """

    /// Stores completion on today's units for the phase, for the reporting views, when some unit
    /// of the phase has ended; otherwise clears what was stored. Returns the figures written.
    /// (`compute` does it after `compute_progress` when a unit of the phase has ended.)
    public func storeOnUnits(province: Int64, phaseID: Int64) async throws -> Int {
        try await database.withTenant(province) { tx in try await Self.storeOnUnits(phaseID: phaseID, tx: tx) }
    }

    static func storeOnUnits(phaseID: Int64, tx: TenantTransaction) async throws -> Int {
        let p = tx.provinceID
        let rows = try await tx.query(
            """
            SELECT ph.code, ph.first_year, ph.last_year, current_date AS today, \(sql: unitsEnded)
            FROM chitieu.phase ph WHERE ph.province_id = \(p) AND ph.phase_id = \(phaseID)
            """, prepared: true)
        guard let row = rows.first else { return 0 }
        try await tx.query("DELETE FROM chitieu.progress_on_units WHERE province_id = \(p) AND phase_id = \(phaseID)", prepared: true)
        guard try row.decode(Bool.self, "units_ended") else { return 0 }
        let phase = Phase(
            id: phaseID, code: try row.decode(String.self, "code"), firstYear: Int(try row.decode(Int16.self, "first_year")),
            lastYear: Int(try row.decode(Int16.self, "last_year")))
        let today = try row.decode(PostgresDate.self, "today")
        let result = try await onUnits(phase: phase, asOf: today, today: today, tx: tx)
        let perRow = 16
        let batchSize = 200
        var start = 0
        while start < result.figures.count {
            let batch = result.figures[start..<min(start + batchSize, result.figures.count)]
            var sql = """
                INSERT INTO chitieu.progress_on_units (province_id, phase_id, as_of, phase_code, indicator_id, unit_id, year, target, achieved,
                    achieved_with_submitted, companion, status, unit_level, unit_code, unit_name, parent_id, indicator_code, indicator_name,
                    measure_unit, companion_measure, rate, rate_with_submitted) VALUES
                """
            var b = PostgresBindings()
            b.append(p)
            b.append(phaseID)
            b.append(today)
            b.append(phase.code)
            for (i, f) in batch.enumerated() {
                let o = 5 + i * perRow
                let ps = (0..<perRow).map { "$\(o + $0)" }
                sql += (i > 0 ? "," : "") + "($1,$2,$3,$4," + ps.joined(separator: ",")
                    + ",round(\(ps[4])::numeric / nullif(\(ps[3]), 0), 6),round(\(ps[5])::numeric / nullif(\(ps[3]), 0), 6))"
                b.append(f.indicatorID)
                b.append(f.unitID)
                b.append(f.year.map { Int16($0) })
                b.append(f.target.map(Int64.init))
                b.append(Int64(f.achieved))
                b.append(Int64(f.achievedWithSubmitted))
                b.append(f.companion.map(Int64.init))
                b.append(f.status.rawValue)
                b.append(f.unitLevel.rawValue)
                b.append(f.unitCode)
                b.append(f.unitName)
                b.append(f.parentID)
                b.append(f.indicatorCode)
                b.append(f.indicatorName)
                b.append(f.measureUnit)
                b.append(f.companionMeasure)
            }
            try await tx.query(PostgresQuery(unsafeSQL: sql, bindings: b), prepared: batch.count == batchSize)
            start += batchSize
        }
        return result.figures.count
    }
}

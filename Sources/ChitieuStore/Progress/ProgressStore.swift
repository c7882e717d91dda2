public import ChitieuDomain
public import Foundation
public import Postgres

/// A completion figure of a unit for an indicator, a year or the whole phase.
public struct ProgressFigure: Sendable, Hashable {
    public var indicatorID: Int64
    public var indicatorCode: String
    public var indicatorName: String
    public var measureUnit: String
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var unitLevel: UnitLevel
    public var parentID: Int64?
    /// nil: the whole phase.
    public var year: Int?
    public var target: Int?
    public var achieved: Int
    public var achievedWithSubmitted: Int
    /// What the companion figure counts (thành viên, học viên…), if the indicator has one.
    public var companionMeasure: String?
    /// The companion figure of the approved results.
    public var companion: Int?
    public var rate: Double?
    public var status: ProgressStatus
    public var computedAt: Date
}

/// A unit's standing for a phase (over its subtree): how many indicators are complete.
public struct UnitSummary: Sendable, Hashable {
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var unitLevel: UnitLevel
    public var phase: String
    public var indicators: Int
    public var completed: Int
    public var suspended: Int
    public var onTrack: Int
    public var behind: Int
}

/// Completion: computed in the database by `chitieu.compute_progress`, read here.
public struct ProgressStore: Sendable {
    let database: ChitieuDatabase
    /// Answers of officers' own scopes kept in memory (the daemon's), if any.
    let cache: FiguresCache?

    public init(database: ChitieuDatabase, cache: FiguresCache? = nil) {
        self.database = database
        self.cache = cache
    }

    /// Computes a phase's completion (one indicator or all) for a province; returns how many
    /// figures changed. `today` fixes the date the elapsed share is measured on (tests).
    /// Figures on today's units (`storeOnUnits`) follow when a unit of the phase has ended.
    public func compute(province: Int64, phaseID: Int64, indicatorID: Int64? = nil, today: PostgresDate? = nil) async throws -> Int {
        try await database.withTenant(province) { tx in
            // Called in a statement of its own: on Citus, a function that queries the tenant
            // tables cannot run inside a query routed to a worker.
            let changed = try await tx.query(
                "SELECT chitieu.compute_progress(\(province), \(phaseID), \(indicatorID), coalesce(\(today)::date, current_date))", prepared: true
            )[0].decode(Int.self, at: 0)
            // A full run that found nothing changed left progress_run as it was (computed_at is not
            // this transaction's); figures on today's units stored today from the same inputs stay.
            let ended = try await tx.query(
                """
                SELECT \(sql: Self.unitsEnded),
                       \(indicatorID)::bigint IS NULL
                       AND EXISTS (SELECT 1 FROM chitieu.progress_run r WHERE r.province_id = ph.province_id AND r.phase_id = ph.phase_id
                                     AND r.computed_at <> now())
                       AND EXISTS (SELECT 1 FROM chitieu.progress_on_units o WHERE o.province_id = ph.province_id
                                     AND o.phase_id = ph.phase_id AND o.as_of = current_date) AS on_units_current
                FROM chitieu.phase ph WHERE ph.province_id = \(province) AND ph.phase_id = \(phaseID)
                """, prepared: true)
            if let row = ended.first, try row.decode(Bool.self, at: 0), try !row.decode(Bool.self, at: 1) {
                _ = try await Self.storeOnUnits(phaseID: phaseID, tx: tx)
            }
            return changed
        }
    }

    /// Computes every phase of every province (the nightly job), `parallel` provinces at a time
    /// (each on its own connection); returns figures changed.
    public func computeAll(parallel: Int = 2) async throws -> Int {
        let provinces = try await database.pool.query("SELECT chitieu.tenant_ids()").map { try $0.decode(Int64.self, at: 0) }
        var work: [(province: Int64, phase: Int64)] = []
        for province in provinces {
            work += try await phaseIDs(province: province).map { (province, $0) }
        }
        return try await compute(work, parallel: parallel)
    }

    /// The province's phases (the one with `code`, or every one), in order.
    public func phaseIDs(province: Int64, code: String? = nil) async throws -> [Int64] {
        try await database.withTenant(province) { tx in
            try await tx.query(
                "SELECT phase_id FROM chitieu.phase WHERE province_id = \(province) AND (\(code)::text IS NULL OR code = \(code)) ORDER BY first_year",
                prepared: true
            ).map { try $0.decode(Int64.self, at: 0) }
        }
    }

    /// Computes the given (province, phase) pairs, `parallel` at a time; returns figures changed.
    func outcome(_ item: (province: Int64, phase: Int64)) async -> Result<Int, any Error> {
        do { return .success(try await compute(province: item.province, phaseID: item.phase)) } catch { return .failure(error) }
    }

    /// A failing pair does not stop the others; the first failure is thrown at the end.
    public func compute(_ work: [(province: Int64, phase: Int64)], parallel: Int) async throws -> Int {
        guard !work.isEmpty else { return 0 }
        return try await withThrowingTaskGroup(of: Result<Int, any Error>.self) { group in
            var next = 0
            var changed = 0
            for _ in 0..<max(1, min(parallel, work.count)) {
                let item = work[next]
                next += 1
                group.addTask { await outcome(item) }
            }
            var failure: (any Error)?
            while let done = try await group.next() {
                switch done {
                case .success(let n): changed += n
                case .failure(let error): failure = failure ?? error
                }
                if next < work.count {
                    let item = work[next]
                    next += 1
                    group.addTask { await outcome(item) }
                }
            }
            if let failure { throw failure }
            return changed
        }
    }

    /// The figures of a phase (the whole phase, or one year) for the caller's scope or below
    /// `unitCode`, down `depth` levels, for every indicator or one. Those of an officer's own
    /// scope are kept in `cache` as the JSON answers are, under the same key and announcements.
    public func figures(
        province: Int64, phaseCode: String, year: Int?, unit: UnitReference?, depth: Int, indicatorCode: String? = nil, caller: Caller
    ) async throws -> [ProgressFigure] {
        try await cached(
            province: province, phaseCode: phaseCode, year: year, unit: unit, depth: depth, indicatorCode: indicatorCode, caller: caller,
            make: { $0 }, kept: { $0.figures($1) }, ticket: { $0.figuresTicket(province: province) }, keep: { $0.store($1, for: $2, ticket: $3) })
    }

    /// The same figures as `render` writes them (the daemon's answer). An officer's own scope
    /// is what `cache` keeps, written: such an answer depends on nothing but what was asked.
    public func figures(
        province: Int64, phaseCode: String, year: Int?, unit: UnitReference?, depth: Int, indicatorCode: String? = nil, caller: Caller,
        render: ([ProgressFigure]) -> [UInt8]
    ) async throws -> [UInt8] {
        try await cached(
            province: province, phaseCode: phaseCode, year: year, unit: unit, depth: depth, indicatorCode: indicatorCode, caller: caller,
            make: render, kept: { $0.answer($1) }, ticket: { $0.ticket(province: province) }, keep: { $0.store($1, for: $2, ticket: $3) })
    }

    /// The figures as `make` makes them. Those of an officer's own scope go through `cache`:
    /// found by `kept`, else read and kept by `keep` under the `ticket` taken before reading.
    private func cached<T, Ticket>(
        province: Int64, phaseCode: String, year: Int?, unit: UnitReference?, depth: Int, indicatorCode: String?, caller: Caller,
        make: ([ProgressFigure]) -> T, kept: (FiguresCache, FiguresCache.Key) -> T?, ticket: (FiguresCache) -> Ticket?,
        keep: (FiguresCache, T, FiguresCache.Key, Ticket) -> Void
    ) async throws -> T {
        guard let cache, unit == nil, !caller.isOperator else {
            return make(
                try await read(province: province, phaseCode: phaseCode, year: year, unit: unit, depth: depth, indicatorCode: indicatorCode, caller: caller)
                    .figures)
        }
        let key = FiguresCache.Key(
            province: province, phaseCode: phaseCode, year: year, roots: Self.ownRoots(caller), depth: depth, indicatorCode: indicatorCode)
        if let found = kept(cache, key) { return found }
        let ticket = ticket(cache)
        let (figures, ownScope) = try await read(
            province: province, phaseCode: phaseCode, year: year, unit: unit, depth: depth, indicatorCode: indicatorCode, caller: caller,
            roots: key.roots)
        let made = make(figures)
        if ownScope, let ticket { keep(cache, made, key, ticket) }
        return made
    }

    /// The units an officer's own scope starts from, in one order whatever the grants' order.
    static func ownRoots(_ caller: Caller) -> [Int64] { caller.principal.grants.map(\.unitID).sorted() }

    /// Reads the figures. Those of an officer's own scope, no unit named — what dashboards ask
    /// all day — come in one round trip (`ownScope`). Nothing back may mean an unknown phase or
    /// a year outside it: the full path checks and says which.
    private func read(
        province: Int64, phaseCode: String, year: Int?, unit: UnitReference?, depth: Int, indicatorCode: String?, caller: Caller,
        roots ownRoots: [Int64]? = nil
    ) async throws -> (figures: [ProgressFigure], ownScope: Bool) {
        if unit == nil, !caller.isOperator {
            let rows = try await database.read(
                province, Self.figuresQuery(province: province, phaseCode: phaseCode, year: year, roots: ownRoots ?? Self.ownRoots(caller),
                    depth: depth, indicatorCode: indicatorCode))
            if !rows.isEmpty { return (try rows.map(Self.figure), true) }
        }
        let figures = try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(phaseCode, year: year)
            let roots = try await tx.resolve.scope(of: caller, from: unit)
            return try await tx.query(
                Self.figuresQuery(province: province, phaseCode: phase.code, year: year, roots: roots, depth: depth, indicatorCode: indicatorCode),
                prepared: true
            ).map(Self.figure)
        }
        return (figures, false)
    }

    /// The figures of a phase (and year, or the whole phase) under `roots`, `depth` levels down.
    static func figuresQuery(province: Int64, phaseCode: String, year: Int?, roots: [Int64], depth: Int, indicatorCode: String?) -> PostgresQuery {
        let year = year.map { Int16(clamping: $0) }
        // The units in scope (chitieu.unit_scope's recursion, written in: on Citus this statement
        // runs on one worker, where a function reading tenant tables would read an empty
        // placeholder; province_id is filtered in both terms).
        return """
            WITH RECURSIVE tree AS (
                SELECT u.unit_id, 0 AS depth FROM chitieu.admin_unit u
                WHERE u.province_id = \(province) AND u.unit_id = ANY(\(roots)::bigint[])
              UNION ALL
                SELECT s.from_unit_id, 1 FROM chitieu.unit_succession s
                JOIN chitieu.admin_unit f ON f.province_id = \(province) AND f.unit_id = s.from_unit_id AND f.parent_id IS NULL
                WHERE s.province_id = \(province) AND s.to_unit_id = ANY(\(roots)::bigint[]) AND \(depth)::int >= 1
              UNION
                SELECT u.unit_id, t.depth + 1 FROM chitieu.admin_unit u
                JOIN tree t ON u.province_id = \(province) AND u.parent_id = t.unit_id
                WHERE u.province_id = \(province) AND t.depth < \(depth)::int
            ), scope AS MATERIALIZED (
                SELECT unit_id, min(depth) AS depth FROM tree GROUP BY unit_id
            )
            -- The figures carry copies of their indicator's and unit's fields (kept by compute_progress).
            SELECT p.indicator_id, p.indicator_code, p.indicator_name, p.measure_unit, p.unit_id, p.unit_code, p.unit_name, p.unit_level,
                   p.parent_id, p.year, p.target, p.achieved, p.achieved_with_submitted, p.rate::float8, p.status, p.computed_at,
                   p.companion_measure, p.companion
            FROM scope s
            JOIN chitieu.progress p ON p.province_id = \(province) AND p.unit_id = s.unit_id
              AND p.phase_id = (SELECT ph.phase_id FROM chitieu.phase ph WHERE ph.province_id = \(province) AND ph.code = \(phaseCode)
                                  AND (\(year)::smallint IS NULL OR \(year)::smallint BETWEEN ph.first_year AND ph.last_year))
              AND p.year IS NOT DISTINCT FROM \(year)
            WHERE (\(indicatorCode)::text IS NULL OR p.indicator_code = \(indicatorCode))
            ORDER BY p.indicator_code, chitieu.level_rank(p.unit_level), p.unit_name, p.unit_code
            """
    }

    static func figure(_ row: PostgresRow) throws -> ProgressFigure {
        ProgressFigure(
            indicatorID: try row.decode(Int64.self, at: 0), indicatorCode: try row.decode(String.self, at: 1),
            indicatorName: try row.decode(String.self, at: 2), measureUnit: try row.decode(String.self, at: 3),
            unitID: try row.decode(Int64.self, at: 4), unitCode: try row.decode(String.self, at: 5), unitName: try row.decode(String.self, at: 6),
            unitLevel: UnitLevel(rawValue: try row.decode(String.self, at: 7)) ?? .commune, parentID: try row.decode(Int64?.self, at: 8),
            year: try row.decode(Int16?.self, at: 9).map(Int.init), target: try row.decode(Int?.self, at: 10),
            achieved: try row.decode(Int.self, at: 11), achievedWithSubmitted: try row.decode(Int.self, at: 12),
            companionMeasure: try row.decode(String?.self, at: 16), companion: try row.decode(Int?.self, at: 17),
            rate: try row.decode(Double?.self, at: 13), status: ProgressStatus(rawValue: try row.decode(String.self, at: 14)) ?? .noTarget,
            computedAt: try row.decode(Date.self, at: 15))
    }

    /// Per phase, for each unit at the top of the caller's scope (the province's unit for the
    /// operator, the units of the grants for an officer), that unit's own phase figures:
    /// indicators, completed, suspended, on track, behind. Never a unit above the caller's scope.
    public func summary(province: Int64, caller: Caller) async throws -> [UnitSummary] {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, what: "the province", tx: tx)
            let roots = try await tx.resolve.scope(of: caller, from: nil)
            // The same figures tools read: the view is the one statement of them.
            return try await tx.query(
                """
                SELECT unit_id, unit_code, unit_name, unit_level, phase, indicators::int, completed::int, suspended::int, on_track::int, behind::int
                FROM reporting.unit_summary WHERE province_id = \(province) AND unit_id = ANY (\(roots)::bigint[])
                ORDER BY chitieu.level_rank(unit_level), unit_name, unit_code, phase
                """, prepared: true
            ).map { row in
                UnitSummary(
                    unitID: try row.decode(Int64.self, at: 0), unitCode: try row.decode(String.self, at: 1), unitName: try row.decode(String.self, at: 2),
                    unitLevel: UnitLevel(rawValue: try row.decode(String.self, at: 3)) ?? .commune,
                    phase: try row.decode(String.self, at: 4), indicators: try row.decode(Int.self, at: 5), completed: try row.decode(Int.self, at: 6),
                    suspended: try row.decode(Int.self, at: 7), onTrack: try row.decode(Int.self, at: 8), behind: try row.decode(Int.self, at: 9))
            }
        }
    }
}

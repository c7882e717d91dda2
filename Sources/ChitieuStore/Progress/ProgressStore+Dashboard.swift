public import ChitieuDomain
import Foundation
public import Postgres

/// What a dashboard reads before its figures (`ProgressStore.frame`): the province's phases and,
/// when the page is about a unit, that unit as the policy let the caller read it.
public struct DashboardFrame: Sendable {
    /// The phases, earliest first, each with whether a unit of it has ended (then its figures
    /// on today's units differ from those as reported).
    public var phases: [(phase: Phase, unitsEnded: Bool)]
    /// The unit asked for; nil when none was.
    public var unit: ReadableUnit?
}

/// A unit the policy let a caller read, with the units above it: its figures may come from
/// those kept in memory (`ProgressStore.figures(province:phaseCode:year:under:…)`), which
/// depend on nothing but the unit. Only the store makes one.
public struct ReadableUnit: Sendable {
    public let id: Int64
    /// The unit and those above it by parent that the caller may read, from the top: id, name and parent.
    public let trail: [(id: Int64, name: String, parentID: Int64?)]
    let province: Int64
}

extension ProgressStore {
    /// The province's phases (each with whether a unit of it has ended) and, if `unit` is given,
    /// its path and trail, checked by the policy: in one round trip. A unit of no such id, or
    /// out of the caller's scope, is 404 as everywhere.
    public func frame(province: Int64, unit: Int64?, caller: Caller) async throws -> DashboardFrame {
        try Access.check(Policy.decide(caller.principal, .read, .province(province)), action: .read, what: "the unit")
        var queries: [PostgresQuery] = [
            """
            SELECT ph.phase_id, ph.code, ph.first_year, ph.last_year, \(sql: Self.unitsEnded)
            FROM chitieu.phase ph WHERE ph.province_id = \(province) ORDER BY ph.first_year, ph.code
            """
        ]
        if let unit {
            // The path as the policy reads it (a statement of its own: the function reads tenant
            // tables), and the parents by name for the trail (the recursion written in).
            queries.append("SELECT chitieu.unit_path(\(province), \(unit))")
            queries.append(
                """
                WITH RECURSIVE up AS (
                    SELECT u.unit_id, u.parent_id, u.name, 0 AS depth FROM chitieu.admin_unit u
                    WHERE u.province_id = \(province) AND u.unit_id = \(unit)
                  UNION ALL
                    SELECT a.unit_id, a.parent_id, a.name, up.depth + 1 FROM chitieu.admin_unit a
                    JOIN up ON a.province_id = \(province) AND a.unit_id = up.parent_id
                    WHERE a.province_id = \(province) AND up.depth < 10
                )
                SELECT unit_id, name, parent_id FROM up ORDER BY depth DESC
                """)
        }
        let rows = try await database.read(province, queries)
        let phases = try rows[0].map { row in
            let phase = Phase(
                id: try row.decode(Int64.self, at: 0), code: try row.decode(String.self, at: 1),
                firstYear: Int(try row.decode(Int16.self, at: 2)), lastYear: Int(try row.decode(Int16.self, at: 3)))
            return (phase: phase, unitsEnded: try row.decode(Bool.self, at: 4))
        }
        guard let unit else { return DashboardFrame(phases: phases, unit: nil) }
        let path = try rows[1].first?.decode([Int64]?.self, at: 0) ?? []
        guard !path.isEmpty else { throw ChitieuError.notFound("the unit") }
        try Access.check(Policy.decide(caller.principal, .read, .unit(province, path: path)), action: .read, what: "the unit")
        let chain = try rows[2].map {
            (id: try $0.decode(Int64.self, at: 0), name: try $0.decode(String.self, at: 1), parentID: try $0.decode(Int64?.self, at: 2))
        }
        // Only the units above that the caller may read too.
        let trail = chain.indices.filter { i in
            Policy.decide(caller.principal, .read, .unit(province, path: chain[...i].map(\.id))) == .allow
        }.map { chain[$0] }
        return DashboardFrame(phases: phases, unit: ReadableUnit(id: unit, trail: trail, province: province))
    }

    /// The figures under a unit the caller may read (`frame`), as `figures(…unit: .id(unit.id)…)`
    /// gives them: kept in `cache` under the unit, like an officer's own scope (the same answer
    /// for whoever may read the unit), and otherwise read in one round trip.
    public func figures(
        province: Int64, phaseCode: String, year: Int?, under unit: ReadableUnit, depth: Int, indicatorCode: String? = nil, caller: Caller
    ) async throws -> [ProgressFigure] {
        precondition(unit.province == province, "a unit of another province")
        let key = FiguresCache.Key(province: province, phaseCode: phaseCode, year: year, roots: [unit.id], depth: depth, indicatorCode: indicatorCode)
        if let kept = cache?.figures(key) { return kept }
        let ticket = cache?.figuresTicket(province: province)
        let rows = try await database.read(
            province, Self.figuresQuery(province: province, phaseCode: phaseCode, year: year, roots: [unit.id], depth: depth, indicatorCode: indicatorCode))
        // Nothing back may be an unknown phase or a year outside it: the full path says which.
        guard !rows.isEmpty else {
            return try await figures(
                province: province, phaseCode: phaseCode, year: year, unit: .id(unit.id), depth: depth, indicatorCode: indicatorCode, caller: caller)
        }
        let figures = try rows.map(Self.figure)
        if let cache, let ticket { cache.store(figures, for: key, ticket: ticket) }
        return figures
    }
}

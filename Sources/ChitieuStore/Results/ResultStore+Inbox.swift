import ChitieuDomain
import Foundation
import Postgres

extension ResultStore {
    /// Submitted results the caller may approve or return (units below a unit where the caller
    /// decides, as `Policy.decide` says), oldest submission first, at most `limit`.
    public func awaitingDecision(province: Int64, caller: Caller, limit: Int = 500) async throws -> [ResultRecord] {
        try Paging.check(limit: limit)
        return try await database.withTenant(province) { tx in
            let roots = try await Access.scopeRoots(caller, unit: nil, tx: tx)
            let scope = try await Access.scope(roots, tx: tx).ids
            let rows = try await tx.query(
                """
                SELECT \(sql: Self.columns) FROM chitieu.result r \(sql: Self.joins)
                WHERE r.province_id = \(province) AND r.state = 'submitted' AND r.unit_id = ANY(\(scope)::bigint[])
                ORDER BY r.submitted_at, r.result_id
                LIMIT \(limit)
                """, prepared: true
            ).map(Self.decode)
            var decides: [Int64: Bool] = [:]
            for unit in Set(rows.map(\.unitID)) {
                guard let path = try await Access.unitPath(unit, tx: tx) else { continue }
                decides[unit] = Policy.decide(caller.principal, .decideResult, .unit(province, path: path)) == .allow
            }
            return rows.filter { decides[$0.unitID] == true }
        }
    }
}

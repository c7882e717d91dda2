public import ChitieuDomain
import Foundation
import Postgres

/// A unit a caller may report results for.
public struct ReportingUnit: Sendable, Hashable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    /// The name of the unit above, to tell apart communes of one name in two districts.
    public var parentName: String?
}

extension ResultStore {
    /// The units valid today under the caller's grants that allow reporting results (as
    /// `Policy.decide` says of `.submitResult`), from the top, those of `levels` only; forbidden
    /// for a caller whose grants allow none.
    public func reportingUnits(province: Int64, levels: Set<UnitLevel>, caller: Caller) async throws -> [ReportingUnit] {
        try await database.withTenant(province) { tx in
            var roots: [Int64] = []
            if caller.isOperator {
                roots = [try await Access.rootUnit(tx: tx)]
            } else {
                for grant in caller.principal.grants {
                    guard let path = try await Access.unitPath(grant.unitID, tx: tx) else { continue }
                    if Policy.decide(caller.principal, .submitResult, .unit(province, path: path)) == .allow { roots.append(grant.unitID) }
                }
            }
            guard !roots.isEmpty else { throw ChitieuError(.forbidden, "your roles do not allow submitting results") }
            let scope = try await Access.scope(roots, tx: tx).ids
            return try await tx.query(
                """
                SELECT u.unit_id, u.level, u.code, u.name, p.name
                FROM chitieu.admin_unit u
                LEFT JOIN chitieu.admin_unit p ON p.province_id = u.province_id AND p.unit_id = u.parent_id
                WHERE u.province_id = \(province) AND u.unit_id = ANY(\(scope)::bigint[])
                  AND u.level = ANY(\(levels.map(\.rawValue).sorted())::text[])
                  AND u.valid_from <= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                  AND (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
                ORDER BY chitieu.level_rank(u.level), p.name, u.name, u.code
                """, prepared: true
            ).map { row in
                ReportingUnit(
                    id: try row.decode(Int64.self, at: 0), level: UnitLevel(rawValue: try row.decode(String.self, at: 1)) ?? .commune,
                    code: try row.decode(String.self, at: 2), name: try row.decode(String.self, at: 3), parentName: try row.decode(String?.self, at: 4))
            }
        }
    }
}

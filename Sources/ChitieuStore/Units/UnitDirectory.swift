public import ChitieuDomain
public import Foundation
public import Postgres

/// An administrative unit as the API shows it.
public struct UnitRecord: Sendable, Hashable {
    public var id: Int64
    public var level: UnitLevel
    public var code: String
    public var name: String
    public var typeLabel: String
    public var parentID: Int64?
    public var validFrom: PostgresDate
    public var validTo: PostgresDate?
}

/// Reads units within a caller's scope.
public struct UnitDirectory: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    static let columns: StaticString = "unit_id, level, code, name, type_label, parent_id, valid_from, valid_to"

    static func decode(_ row: PostgresRow) throws -> UnitRecord {
        UnitRecord(
            id: try row.decode(Int64.self, at: 0), level: UnitLevel(rawValue: try row.decode(String.self, at: 1)) ?? .commune,
            code: try row.decode(String.self, at: 2), name: try row.decode(String.self, at: 3), typeLabel: try row.decode(String.self, at: 4),
            parentID: try row.decode(Int64?.self, at: 5), validFrom: try row.decode(PostgresDate.self, at: 6),
            validTo: try row.decode(PostgresDate?.self, at: 7))
    }

    /// One unit, if the caller may read it (404 otherwise, also for other provinces' ids).
    public func unit(id: Int64, province: Int64, caller: Caller) async throws -> UnitRecord {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, unit: id, tx: tx)
            let rows = try await tx.query(
                "SELECT \(sql: Self.columns) FROM chitieu.admin_unit WHERE province_id = \(province) AND unit_id = \(id)", prepared: true)
            return try Self.decode(rows[0])
        }
    }

    /// The units directly below a unit the caller may read, in Vietnamese order.
    public func children(of id: Int64, province: Int64, caller: Caller) async throws -> [UnitRecord] {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, unit: id, tx: tx)
            return try await tx.query(
                """
                SELECT \(sql: Self.columns) FROM chitieu.admin_unit
                WHERE province_id = \(province) AND parent_id = \(id) AND (valid_to IS NULL OR valid_to >= current_date)
                ORDER BY name, code
                """, prepared: true
            ).map(Self.decode)
        }
    }

    /// The units at the top of the caller's scope: those of its grants (the province's unit for
    /// the operator).
    public func roots(province: Int64, caller: Caller) async throws -> [UnitRecord] {
        try await database.withTenant(province) { tx in
            let ids = caller.principal.grants.map(\.unitID)
            return try await tx.query(
                """
                SELECT \(sql: Self.columns) FROM chitieu.admin_unit
                WHERE province_id = \(province) AND (unit_id = ANY(\(ids)::bigint[]) OR (\(caller.isOperator) AND level = 'province'))
                ORDER BY name, code
                """
            ).map(Self.decode)
        }
    }

    /// Units in the caller's scope, current today, whose name contains `query` once both are
    /// compared without diacritics, with đ as d and in any case (`chitieu.search_key`), so
    /// "hoa" finds Xã Xuân Hòa and Phường Hoà Bình alike. Vietnamese order, a page at a time:
    /// `after` is the id of the last unit of the previous page.
    public func search(
        province: Int64, query rawQuery: String, level: UnitLevel? = nil, limit: Int = 100, after: Int64? = nil, caller: Caller
    ) async throws -> [UnitRecord] {
        let query = Names.normalized(rawQuery)
        guard query.contains(where: { $0.isLetter || $0.isNumber }) else {
            throw ChitieuError(.invalid, field: "q", reason: "must contain a letter or a digit")
        }
        guard query.utf8.count <= 200 else { throw ChitieuError(.invalid, field: "q", reason: "is longer than 200 bytes") }
        try Paging.check(limit: limit)
        return try await database.withTenant(province) { tx in
            let scope = try await Access.scope(try await tx.resolve.scope(of: caller, from: nil), tx: tx)
            if let after {
                try Paging.requireCursor(try await tx.query(
                    "SELECT 1 FROM chitieu.admin_unit WHERE province_id = \(province) AND unit_id = \(after)", prepared: true))
            }
            return try await tx.query(
                """
                WITH scope AS (
                    SELECT unnest(\(scope.ids)::bigint[]) AS unit_id
                )
                SELECT \(sql: Self.columns) FROM chitieu.admin_unit a
                WHERE a.province_id = \(province) AND a.unit_id IN (SELECT unit_id FROM scope)
                  AND a.valid_from <= current_date AND (a.valid_to IS NULL OR a.valid_to >= current_date)
                  AND strpos(a.search_name, chitieu.search_key(\(query))) > 0
                  AND (\(level?.rawValue)::text IS NULL OR a.level = \(level?.rawValue))
                  AND (\(after)::bigint IS NULL OR (a.name, a.code, a.unit_id) > (
                      SELECT c.name, c.code, c.unit_id FROM chitieu.admin_unit c WHERE c.province_id = \(province) AND c.unit_id = \(after)))
                ORDER BY a.name, a.code, a.unit_id
                LIMIT \(limit)
                """, prepared: true
            ).map(Self.decode)
        }
    }
}

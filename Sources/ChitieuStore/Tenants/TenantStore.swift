import ChitieuDomain
import Foundation
public import Postgres

/// A province as a tenant of the deployment.
public struct Province: Sendable, Hashable {
    /// Stable id; its reporting group is `chitieu_p<id>`.
    public var id: Int64
    /// GSO code, meaningful within the validity period.
    public var code: String
    /// Official name.
    public var name: String
    /// First day of validity.
    public var validFrom: PostgresDate
    /// Last day of validity, nil while current.
    public var validTo: PostgresDate?

    /// The province's reporting group role.
    public var reportingGroup: String { "chitieu_p\(id)" }
}

/// Creates and finds tenants. Run as the database owner (operator commands).
public struct TenantStore: Sendable {
    let database: ChitieuDatabase

    /// Uses a database (connected as the owner for `create`).
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// The default phases of Project 8: phase I and phase II.
    public static let defaultPhases: [(first: Int, last: Int)] = [(2021, 2025), (2026, 2030)]

    static func decode(_ row: PostgresRow) throws -> Province {
        Province(
            id: try row.decode(Int64.self, "province_id"), code: try row.decode(String.self, "code"),
            name: try row.decode(String.self, "name"), validFrom: try row.decode(PostgresDate.self, "valid_from"),
            validTo: try row.decode(PostgresDate?.self, "valid_to"))
    }

    /// Every tenant, by code then period.
    public func list() async throws -> [Province] {
        let rows = try await database.pool.query(
            "SELECT province_id, code, name, valid_from, valid_to FROM chitieu.province ORDER BY code, valid_from")
        return try rows.map(Self.decode)
    }

    /// Creates a tenant: the province row, its province-level unit, the default phases, its
    /// reporting group, and an audit event, in one transaction.
    public func create(
        code: String, name rawName: String, validFrom: PostgresDate, validTo: PostgresDate? = nil, actor: Actor
    ) async throws -> Province {
        let name = Names.normalized(rawName)
        guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ChitieuError(.invalid, field: "code", reason: "'\(code)' is not a 2-digit GSO province code")
        }
        if let problem = Names.problem(with: name, maxLength: 200) {
            throw ChitieuError(.invalid, field: "name", reason: "the name \(problem)")
        }
        if let validTo, validTo < validFrom {
            throw ChitieuError(.invalid, field: "valid-to", reason: "\(validTo) is before valid-from \(validFrom)")
        }
        let existing = try await database.pool.query(
            "SELECT province_id FROM chitieu.province WHERE code = \(code) AND valid_from = \(validFrom)")
        if !existing.isEmpty {
            throw ChitieuError(.invalid, field: "code", reason: "a province with code \(code) valid from \(validFrom) exists already (id \(try existing[0].decode(Int64.self, at: 0)))")
        }
        let idRows = try await database.pool.query(
            "SELECT nextval(pg_get_serial_sequence('chitieu.province', 'province_id')) AS id")
        let id = try idRows[0].decode(Int64.self, "id")
        let province = Province(id: id, code: code, name: name, validFrom: validFrom, validTo: validTo)
        try await database.withTenant(id) { tx in
            try await Self.insert(province, tx: tx, actor: actor)
        }
        return province
    }

    /// Inserts a new province and what every province has, inside its own tenant transaction.
    static func insert(_ province: Province, tx: TenantTransaction, actor: Actor) async throws {
        do {
            try await tx.query(
                """
                INSERT INTO chitieu.province (province_id, code, name, valid_from, valid_to)
                VALUES (\(province.id), \(province.code), \(province.name), \(province.validFrom), \(province.validTo))
                """)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ChitieuError(.invalid, field: "code", reason: "a province with code \(province.code) valid from \(province.validFrom) exists already")
        }
        let typeLabel = province.name.hasPrefix("Thành phố") ? "Thành phố" : "Tỉnh"
        try await tx.query(
            """
            INSERT INTO chitieu.admin_unit (province_id, level, code, name, type_label, valid_from, valid_to)
            VALUES (\(province.id), 'province', \(province.code), \(province.name), \(typeLabel), \(province.validFrom), \(province.validTo))
            """)
        for phase in defaultPhases {
            try await tx.query(
                """
                INSERT INTO chitieu.phase (province_id, code, first_year, last_year)
                VALUES (\(province.id), \("\(phase.first)-\(phase.last)"), \(Int16(phase.first)), \(Int16(phase.last)))
                """)
        }
        try await tx.query("SELECT chitieu.ensure_reporting_group(\(province.id))")
        try await AuditLog.record(
            tx, actor: actor, action: "tenant.create", entityType: "province", entityID: String(province.id),
            after: AuditLog.json([
                "code": province.code, "name": province.name, "valid_from": province.validFrom.description,
                "valid_to": province.validTo?.description ?? NSNull(),
            ]))
    }

    /// Finds the tenant a GSO code means on a date: the one whose period contains the date,
    /// the latest such if several; a code with one tenant only needs no date.
    public func resolve(code: String, on date: PostgresDate? = nil) async throws -> Province {
        let candidates = try await database.pool.query(
            "SELECT province_id, code, name, valid_from, valid_to FROM chitieu.province WHERE code = \(code) ORDER BY valid_from DESC"
        ).map(Self.decode)
        guard !candidates.isEmpty else {
            throw ChitieuError(.invalid, field: "province", reason: "no province has the code '\(code)'; see `chitieu tenant list`")
        }
        if candidates.count == 1 && date == nil { return candidates[0] }
        let day = date ?? PostgresDate.today
        if let match = candidates.first(where: { $0.validFrom <= day && ($0.validTo.map { day <= $0 } ?? true) }) {
            return match
        }
        throw ChitieuError(.invalid,
            field: "province",
            reason: "no province with code \(code) is valid on \(day); periods: \(candidates.map { "\($0.validFrom)…\($0.validTo?.description ?? "")" }.joined(separator: ", "))")
    }
}

extension PostgresDate {
    /// Today's date in Vietnam (UTC+7), where the deployment's users are.
    public static var today: PostgresDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: 7 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return PostgresDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }
}

package import ChitieuCrypto
package import ChitieuDomain
package import ChitieuStore
package import ChitieuTesting
package import Foundation
package import Postgres

/// Cheap scrypt parameters for tests (the product's default costs tens of milliseconds a hash).
package let testPasswordParameters = Scrypt.Parameters(n: 1024, r: 8, p: 1)
package let testPassword = "mật khẩu thử 2025"

/// Two provinces (Lào Cai 10 and Yên Bái 15) with their 2021 units, an indicator each, and
/// officers at every level of province 10 and a provincial officer of province 15.
package struct AccessWorld {
    package struct Units {
        package var province: Int64
        package var district: Int64
        package var otherDistrict: Int64
        package var commune: Int64
        package var otherCommune: Int64
    }

    package let db: TestDatabase
    /// The daemon's view: the app role, through row-level security.
    package let app: ChitieuDatabase
    package let a: Province
    package let b: Province
    package let unitsA: Units
    package let unitsB: Units
    /// Indicator ids: index 0 in province 10, 1 in province 15.
    package let indicators: [Int64]

    package static func make(on database: TestDatabase? = nil) async throws -> AccessWorld {
        let db = if let database { database } else { try await TestDatabase.make() }
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv"))
        for code in ["10", "15"] {
            _ = try await UnitStore(database: owner).importUnits(
                file.filtered(province: code), validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil,
                actor: .command("test"), source: "units-2021.csv")
        }
        let tenants = TenantStore(database: owner)
        let a = try await tenants.resolve(code: "10")
        let b = try await tenants.resolve(code: "15")
        await owner.pool.shutdown()

        let app = ChitieuDatabase(pool: db.appPool(maxConnections: 6))
        func units(_ p: Province) async throws -> Units {
            try await app.withTenant(p.id) { tx in
                let rows = try await tx.query(
                    "SELECT unit_id, level, parent_id FROM chitieu.admin_unit WHERE province_id = \(p.id) ORDER BY level, code")
                var root: Int64 = 0
                var districts: [Int64] = []
                var communes: [(Int64, Int64)] = []
                for row in rows {
                    let id = try row.decode(Int64.self, at: 0)
                    switch try row.decode(String.self, at: 1) {
                    case "province": root = id
                    case "district": districts.append(id)
                    case "commune": communes.append((id, try row.decode(Int64.self, at: 2)))
                    default: break
                    }
                }
                return Units(
                    province: root, district: districts[0], otherDistrict: districts[1],
                    commune: communes.first { $0.1 == districts[0] }!.0, otherCommune: communes.first { $0.1 == districts[1] }!.0)
            }
        }
        let unitsA = try await units(a)
        let unitsB = try await units(b)
        var indicators: [Int64] = []
        for p in [a, b] {
            let i = try await IndicatorStore(database: app).add(
                IndicatorDraft(code: "DA8-01", name: "Tổ truyền thông cộng đồng", measureUnit: "tổ", kind: .stock), province: p.id,
                caller: .command("test"))
            indicators.append(i.id)
        }
        let world = AccessWorld(db: db, app: app, a: a, b: b, unitsA: unitsA, unitsB: unitsB, indicators: indicators)
        try await world.officer("tinh10", in: a, role: .province, at: unitsA.province)
        try await world.officer("huyen10", in: a, role: .district, at: unitsA.district)
        try await world.officer("xa10", in: a, role: .commune, at: unitsA.commune)
        try await world.officer("xem10", in: a, role: .viewer, at: unitsA.province, home: unitsA.province)
        try await world.officer("tinh15", in: b, role: .province, at: unitsB.province)
        try await world.officer("xa15", in: b, role: .commune, at: unitsB.commune)
        return world
    }

    package var accounts: AccountStore { AccountStore(database: app, passwordParameters: testPasswordParameters) }

    /// Creates an account with the test password and one grant, as the operator.
    @discardableResult
    package func officer(_ username: String, in p: Province, role: Role, at unit: Int64, home: Int64? = nil) async throws -> Account {
        let homeUnit = home ?? (role == .province ? nil : unit)
        let account = try await accounts.create(
            province: p.id, username: username, displayName: "Cán bộ \(username)", homeUnit: homeUnit.map(UnitReference.id), password: testPassword,
            caller: .command("test"))
        _ = try await accounts.grant(province: p.id, username: username, role: role, unit: .id(unit), caller: .command("test"))
        return account
    }

    /// The caller an account stands for, as the API would see it.
    package func caller(_ username: String, in p: Province) async throws -> Caller {
        try await app.withTenant(p.id) { tx in
            var caller = try await Access.caller(asUsername: username, command: "test", tx: tx)
            caller.actor.via = .api
            return caller
        }
    }

    package func shutdown() async {
        await app.pool.shutdown()
    }
}

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

    /// The callers of xa10 (the commune's officer) and huyen10 (the district's, who approves its results).
    package func communeAndDistrictCallers() async throws -> (commune: Caller, district: Caller) {
        (try await caller("xa10", in: a), try await caller("huyen10", in: a))
    }

    /// Sets the 2021-2025 phase target of DA8-01 in `p` (424 unless told) and allocates it down
    /// the tree, as the operator.
    package func allocatePhaseTarget(in p: Province, value: Int = 424) async throws {
        _ = try await TargetStore(database: app).set(
            province: p.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: value, lock: false, caller: .command("test"))
        _ = try await AllocationStore(database: app).allocate(province: p.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
    }

    /// A result of DA8-01 for the commune of province 10 (October to December 2025), submitted by
    /// xa10 and approved by huyen10 (reporting of 2025 must be open).
    @discardableResult
    package func approvedCommuneResult(value: Int) async throws -> ResultRecord {
        let results = ResultStore(database: app)
        let (reported, _) = try await results.create(
            province: a.id,
            ResultInput(indicatorID: indicators[0], unit: .id(unitsA.commune), periodStart: PostgresDate("2025-10-01")!,
                        periodEnd: PostgresDate("2025-12-31")!, figures: ResultFigures(value: value)),
            submit: true, idempotencyKey: nil, caller: try await caller("xa10", in: a))
        return try await results.approve(province: a.id, id: reported.id, caller: try await caller("huyen10", in: a))
    }

    /// Computes every phase of `provinces`.
    package func computeProgress(_ provinces: [Province]) async throws {
        let progress = ProgressStore(database: app)
        for p in provinces {
            for phase in try await progress.phaseIDs(province: p.id) { _ = try await progress.compute(province: p.id, phaseID: phase) }
        }
    }

    /// Keeps the reporting of `year` open in province A until 2099, so results of that year are taken.
    package func openReporting(year: Int = 2025) async throws {
        let su = try await db.superuserConnection()
        try await su.query("INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(a.id), \(year), '2099-01-25')")
        await su.close()
    }

    package func shutdown() async {
        await app.pool.shutdown()
    }
}

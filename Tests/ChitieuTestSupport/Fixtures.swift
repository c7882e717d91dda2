package import ChitieuDomain
package import ChitieuStore
package import ChitieuTesting
package import Foundation
package import Postgres

/// The plain tables of the deployment in schema chitieu: the job queue and its schedules, the
/// login directory and counters, and the caches' epochs (on the coordinator under Citus, but the
/// login directory).
package let deploymentTables = ["job", "job_schedule", "login_name", "login_throttle", "cache_epoch"]

/// Tables that carry tenant data: everything in schema chitieu but `deploymentTables`.
package func tenantTables(_ pool: PostgresPool) async throws -> [String] {
    try await pool.query(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p') AND c.relname <> ALL (\(deploymentTables)::text[]) ORDER BY 1
        """
    ).map { try $0.decode(String.self, at: 0) }
}

/// The tenant tables as Citus distributes them: every table of schema chitieu with a province_id column, but the shared
/// ones and the tenant catalogue (a reference table under Citus).
package func distributedTables(_ pool: PostgresPool) async throws -> [String] {
    try await pool.query(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'chitieu' AND c.relkind IN ('r', 'p')
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'province_id' AND NOT a.attisdropped)
          AND c.relname <> ALL (\(SchemaScope.sharedTables + [SchemaScope.catalogue])::text[])
        ORDER BY 1
        """
    ).map { try $0.decode(String.self, at: 0) }
}

/// Imports one province's units of the 2021 national file, valid from 1 January 2021, as the
/// operator does; the province.
package func importUnits2021(province code: String, _ owner: ChitieuDatabase) async throws -> Province {
    _ = try await UnitStore(database: owner).importUnits(
        try AdminUnitsCSV.parse(try dataFile("units-2021.csv")).filtered(province: code), validFrom: PostgresDate(year: 2021, month: 1, day: 1),
        validTo: nil, actor: .command("test"), source: "units-2021.csv")
    return try await TenantStore(database: owner).resolve(code: code)
}

/// One province of the 2021 units (`importUnits2021`) with one indicator and its target for the
/// phase 2021-2025, set as the operator does; the province.
package func provinceWithTarget(
    _ code: String, indicator: IndicatorDraft, target: Int, _ owner: ChitieuDatabase
) async throws -> Province {
    let province = try await importUnits2021(province: code, owner)
    _ = try await IndicatorStore(database: owner).add(indicator, province: province.id, caller: .command("test"))
    _ = try await TargetStore(database: owner).set(
        province: province.id, indicatorCode: indicator.code, phaseCode: "2021-2025", unitCode: nil, year: nil, value: target, lock: false,
        caller: .command("test"))
    return province
}

/// Creates a province through the store, as operators do.
package func makeProvince(_ db: ChitieuDatabase, code: String, name: String) async throws -> Province {
    try await TenantStore(database: db).create(
        code: code, name: name, validFrom: PostgresDate(year: 2021, month: 1, day: 1), actor: .command("test"))
}

/// Reads a repository data file.
package func dataFile(_ name: String) throws -> Data {
    let url = try TestDatabase.repositoryRoot().appendingPathComponent("Deploy/data/vn-admin-units/\(name)")
    return try Data(contentsOf: url)
}

/// The day the 2025 reform of provinces and communes took effect.
package let reformDay2025 = PostgresDate(year: 2025, month: 7, day: 1)

/// Applies the 2025 reform with the real files (`units-2025.csv`, `succession-2025.csv`) to the
/// new province `code`, as the operator does: its report, and the province as it is from then on.
@discardableResult
package func applyReform2025(province code: String, _ owner: ChitieuDatabase) async throws -> (report: ReformReport, province: Province) {
    let report = try await ReformStore(database: owner).apply(
        units: try AdminUnitsCSV.parse(try dataFile("units-2025.csv")), succession: try SuccessionCSV.parse(try dataFile("succession-2025.csv")),
        on: reformDay2025, provinceCodes: [code], actor: .command("test"), source: "units-2025.csv")
    return (report, try await TenantStore(database: owner).resolve(code: code, on: reformDay2025))
}

/// Hà Nội (01) of the 2021 units with one indicator `code` (a flow, "Lớp tập huấn") whose phase
/// target at Phường Cống Vị (00007), a commune the 2025 reform split, is `target`, written
/// straight into the table with `origin`; the province.
package func hanoiWithCongViTarget(
    _ db: TestDatabase, _ owner: ChitieuDatabase, indicator code: String, target: Int, origin: String
) async throws -> Province {
    let old = try await importUnits2021(province: "01", owner)
    let su = try await db.superuserConnection()
    try await su.query("INSERT INTO chitieu.indicator (province_id, code, name, measure_unit, kind) VALUES (\(old.id), \(code), 'Lớp tập huấn', 'lớp', 'flow')")
    try await su.query(
        """
        INSERT INTO chitieu.target (province_id, indicator_id, unit_id, phase_id, year, value, origin)
        SELECT i.province_id, i.indicator_id, u.unit_id, ph.phase_id, NULL, \(target), \(origin)
        FROM chitieu.indicator i JOIN chitieu.admin_unit u ON u.province_id = i.province_id AND u.code = '00007'
        JOIN chitieu.phase ph ON ph.province_id = i.province_id AND ph.code = '2021-2025' WHERE i.province_id = \(old.id) AND i.code = \(code)
        """)
    await su.close()
    return old
}

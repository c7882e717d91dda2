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

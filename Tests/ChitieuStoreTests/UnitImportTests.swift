import ChitieuDomain
import ChitieuStore
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Importing administrative units")
struct UnitImportTests {
    @Test func theNationalFileCreates63Provinces696DistrictsAnd10035Communes() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv"))
        let day = PostgresDate(year: 2021, month: 1, day: 1)
        let report = try await UnitStore(database: owner).importUnits(file, validFrom: day, validTo: nil, actor: .command("test"), source: "units-2021.csv")
        #expect(report.provincesCreated.count == 63)
        #expect(report.levels[.province]?.inserted == 63)
        #expect(report.levels[.district]?.inserted == 696)
        #expect(report.levels[.commune]?.inserted == 10_035)

        let su = try await db.superuserConnection()
        let counts = try await su.query(
            "SELECT level, count(*) AS n FROM chitieu.admin_unit GROUP BY level ORDER BY level"
        ).map { (try $0.decode(String.self, "level"), try $0.decode(Int.self, "n")) }
        #expect(counts.map(\.0) == ["commune", "district", "province"])
        #expect(counts.map(\.1) == [10_035, 696, 63])
        #expect(try await su.query("SELECT count(*) AS n FROM chitieu.province")[0].decode(Int.self, "n") == 63)
        #expect(try await su.query("SELECT count(*) AS n FROM chitieu.phase")[0].decode(Int.self, "n") == 126)
        let auditBefore = try await su.query("SELECT count(*) AS n FROM chitieu.audit_event")[0].decode(Int.self, "n")

        // Importing the same file again changes nothing, not even the audit log.
        let again = try await UnitStore(database: owner).importUnits(file, validFrom: day, validTo: nil, actor: .command("test"), source: "units-2021.csv")
        #expect(again.provincesCreated.isEmpty)
        #expect(again.levels.values.allSatisfy { $0.inserted == 0 && $0.updated == 0 })
        #expect(again.levels[.commune]?.unchanged == 10_035)
        #expect(try await su.query("SELECT count(*) AS n FROM chitieu.admin_unit")[0].decode(Int.self, "n") == 10_794)
        #expect(try await su.query("SELECT count(*) AS n FROM chitieu.audit_event")[0].decode(Int.self, "n") == auditBefore)

        // The 2025 file, valid from 1 July 2025, makes new tenants: reused codes never mix.
        let file2025 = try AdminUnitsCSV.parse(try dataFile("units-2025.csv"))
        let report2025 = try await UnitStore(database: owner).importUnits(
            file2025, validFrom: PostgresDate(year: 2025, month: 7, day: 1), validTo: nil, actor: .command("test"), source: "units-2025.csv")
        #expect(report2025.provincesCreated.count == 34)
        #expect(report2025.levels[.commune]?.inserted == 3_321)
        let laoCai = try await TenantStore(database: owner).resolve(code: "15", on: PostgresDate(year: 2026, month: 1, day: 1))
        #expect(laoCai.name == "Tỉnh Lào Cai")
        let yenBai = try await TenantStore(database: owner).resolve(code: "15", on: PostgresDate(year: 2021, month: 6, day: 1))
        #expect(yenBai.name == "Tỉnh Yên Bái")
        await su.close()
        await owner.pool.shutdown()
    }

    @Test func aChangedNameIsUpdatedAndAudited() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let header = "province_code,province_name,district_code,district_name,district_type,commune_code,commune_name,commune_type\n"
        let day = PostgresDate(year: 2021, month: 1, day: 1)
        let first = try AdminUnitsCSV.parse(Data((header + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã\n").utf8))
        _ = try await UnitStore(database: owner).importUnits(first, validFrom: day, validTo: nil, actor: .command("test"), source: "a.csv")
        let second = try AdminUnitsCSV.parse(Data((header + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan Mới,Xã\n").utf8))
        let report = try await UnitStore(database: owner).importUnits(second, validFrom: day, validTo: nil, actor: .command("test"), source: "b.csv")
        #expect(report.levels[.commune] == UnitImportReport.Counts(inserted: 0, updated: 1, unchanged: 0))
        let province = try await TenantStore(database: owner).resolve(code: "10")
        let names = try await UnitStore(database: owner).units(of: province, on: day).map(\.name)
        #expect(names.contains("Xã Điện Quan Mới"))
        await owner.pool.shutdown()
    }

    @Test func unitsSortInVietnameseOrder() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv")).filtered(province: "10")
        let day = PostgresDate(year: 2021, month: 1, day: 1)
        _ = try await UnitStore(database: owner).importUnits(file, validFrom: day, validTo: nil, actor: .command("test"), source: "units-2021.csv")
        let province = try await TenantStore(database: owner).resolve(code: "10")
        let units = try await UnitStore(database: owner).units(of: province, on: day)
        let root = try #require(units.first { $0.level == .province })
        let districts = units.filter { $0.parentID == root.id }.sorted { $0.sortKey < $1.sortKey }.map(\.name)
        // a < ă < â, and tone marks weigh less than letters: Bảo Thắng, Bảo Yên, Bát Xát, Bắc Hà.
        #expect(Array(districts.prefix(4)) == ["Huyện Bảo Thắng", "Huyện Bảo Yên", "Huyện Bát Xát", "Huyện Bắc Hà"])
        #expect(districts.count == 9)
        await owner.pool.shutdown()
    }

    @Test func tenantCreateRefusesBadInputAndDuplicates() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let store = TenantStore(database: owner)
        let day = PostgresDate(year: 2021, month: 1, day: 1)
        let bad = await expectError(.unprocessable) {
            try await store.create(code: "1O", name: "Tỉnh Lào Cai", validFrom: day, actor: .command("test"))
        }
        #expect(bad?.field == "code")
        let blank = await expectError(.unprocessable) {
            try await store.create(code: "10", name: "  ", validFrom: day, actor: .command("test"))
        }
        #expect(blank?.field == "name")
        let created = try await store.create(code: "10", name: "Tỉnh Lào Cai", validFrom: day, actor: .command("test"))
        #expect(created.reportingGroup == "chitieu_p\(created.id)")
        let again = await expectError(.unprocessable) {
            try await store.create(code: "10", name: "Tỉnh Lào Cai", validFrom: day, actor: .command("test"))
        }
        #expect(again?.field == "code")
        #expect(try await store.list().count == 1)
        let su = try await db.superuserConnection()
        #expect(try await su.query("SELECT count(*) AS n FROM pg_roles WHERE rolname = \(created.reportingGroup)")[0].decode(Int.self, "n") == 1)
        #expect(try await su.query("SELECT action FROM chitieu.audit_event")[0].decode(String.self, "action") == "tenant.create")
        await su.close()
        await owner.pool.shutdown()
    }
}

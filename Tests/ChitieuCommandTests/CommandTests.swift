import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Admin commands, end to end through the executable")
struct CommandTests {
    @Test func migrateImportTreeAndListAsAnOperatorWould() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let env = [
            "CHITIEU_ADMIN_DATABASE_URL": db.ownerConnectionString, "CHITIEU_DATABASE_URL": db.appConnectionString,
            "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path,
        ]
        let migrate = try await ChitieuCommand.run(["db", "migrate"], environment: env)
        #expect(migrate.status == 0, "\(migrate.error)")
        #expect(migrate.output.contains("applied  0001_"))
        let again = try await ChitieuCommand.run(["db", "migrate"], environment: env)
        #expect(again.output.contains("up to date"))
        #expect(try await ChitieuCommand.run(["db", "status"], environment: env).status == 0)

        // A bad file is refused whole, with its line, and changes nothing.
        let bad = NSTemporaryDirectory() + "/chitieu-bad-\(UUID().uuidString).csv"
        defer { unlink(bad) }
        try """
            province_code,province_name,district_code,district_name,district_type,commune_code,commune_name,commune_type
            10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã
            10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,029,Xã Ngắn,Xã

            """.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await ChitieuCommand.run(["units", "import", "--file", bad], environment: env)
        #expect(refused.status == 1)
        #expect(refused.error.contains("line 3"))
        #expect(refused.error.contains("commune_code"))
        let list = try await ChitieuCommand.run(["tenant", "list", "--json"], environment: env)
        #expect(list.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || list.output.contains("[]"))

        let file = try TestDatabase.repositoryRoot().appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path
        let imported = try await ChitieuCommand.run(["units", "import", "--file", file, "--province", "10"], environment: env)
        #expect(imported.status == 0, "\(imported.error)")
        #expect(imported.output.contains("created province 10 Tỉnh Lào Cai"))
        #expect(imported.output.contains("151"))

        let tree = try await ChitieuCommand.run(["units", "tree", "--province", "10", "--depth", "1"], environment: env)
        #expect(tree.status == 0, "\(tree.error)")
        let lines = tree.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Tỉnh Lào Cai") == true)
        #expect(lines.count == 10)
        #expect(lines[1].contains("Huyện Bảo Thắng") && lines[2].contains("Huyện Bảo Yên") && lines[3].contains("Huyện Bát Xát"))

        let csv = try await ChitieuCommand.run(["tenant", "list", "--csv"], environment: env)
        #expect(csv.output.hasPrefix("id,code,name,valid_from,valid_to,reporting_group\n"))
        #expect(csv.output.contains(",10,Tỉnh Lào Cai,2021-01-01,,chitieu_p"))

        let usage = try await ChitieuCommand.run(["tenant", "create", "--code", "10"], environment: env)
        #expect(usage.status == 2)
        #expect(usage.error.contains("--name"))
        let unknown = try await ChitieuCommand.run(["units", "tree", "--province", "99"], environment: env)
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("province"))
    }
}

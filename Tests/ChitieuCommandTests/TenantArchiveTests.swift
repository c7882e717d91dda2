import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// `tenant export` and `tenant import`: a province moved to another database comes back whole.
@Suite("Tenant export and import")
struct TenantArchiveTests {
    /// Every row of the province in every table of a province, as PostgreSQL's to_jsonb writes it, sorted.
    static func rows(_ connection: PostgresConnection, province: Int64) async throws -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for table in TenantArchive.tables + ["login_name"] {
            var bindings = PostgresBindings()
            bindings.append(province)
            rows[table] = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "SELECT to_jsonb(t)::text AS row FROM chitieu.\(PostgresQuery.quoteIdentifier(table)) t WHERE t.province_id = $1 ORDER BY 1",
                    bindings: bindings)
            ).map { try $0.decode(String.self, "row") }
        }
        return rows
    }

    static func environment(_ db: TestDatabase) throws -> [String: String] {
        ["CHITIEU_ADMIN_DATABASE_URL": db.ownerConnectionString, "CHITIEU_DATABASE_URL": db.appConnectionString,
         "CHITIEU_SQL_DIR": try TestDatabase.sqlDirectory().path]
    }

    @Test func theFileCoversEveryTenantTable() async throws {
        let db = try await TestDatabase.make()
        let pool = db.ownerPool()
        #expect(Set(TenantArchive.tables) == Set(try await distributedTables(pool) + [SchemaScope.catalogue]))
        await pool.shutdown()
    }

    @Test func aProvinceExportedAndImportedIntoAnotherDatabaseIsTheSameRowForRow() async throws {
        let source = try await TestDatabase.make()
        let root = try TestDatabase.repositoryRoot()
        func run(_ args: [String], in db: TestDatabase, input: String? = nil, status: Int32 = 0) async throws -> CommandResult {
            let result = try await ChitieuCommand.run(args, environment: try Self.environment(db), input: input)
            #expect(result.status == status, "chitieu \(args.joined(separator: " ")): \(result.output)\(result.error)")
            return result
        }
        let units = root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path
        _ = try await run(["units", "import", "--file", units, "--province", "10"], in: source)
        _ = try await run(["units", "import", "--file", units, "--province", "15"], in: source)
        _ = try await run(["indicator", "import", "--province", "10", "--file", root.appendingPathComponent("Deploy/catalogue/project8-indicators.csv").path], in: source)
        _ = try await run(["target", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--value", "85"], in: source)
        _ = try await run(["allocation", "rule", "set", "--province", "10", "--indicator", "DA8-02", "--phase", "2021-2025", "--minimum", "1"], in: source)
        _ = try await run(["target", "allocate", "--province", "10", "--phase", "2021-2025", "--wait"], in: source)
        _ = try await run(["result", "generate", "--province", "10", "--phase", "2021-2025", "--completion", "DA8-02=0.7", "--companion", "DA8-02=23"], in: source)
        _ = try await run(["progress", "compute", "--province", "10"], in: source)
        _ = try await run(["deadline", "exception", "--province", "10", "--unit", "082", "--year", "2025", "--until", "2026-12-15", "--reason", "Lũ quét ở Bát Xát"], in: source)
        _ = try await run(["account", "create", "--province", "10", "--username", "quantri.laocai", "--name", "Nguyễn Thị Hoà", "--password-stdin"],
                          in: source, input: "mật khẩu quản trị 2026\n")
        _ = try await run(["grant", "add", "--province", "10", "--account", "quantri.laocai", "--role", "province"], in: source)
        _ = try await run(["token", "issue", "--province", "10", "--account", "quantri.laocai", "--name", "Bảng tính tỉnh"], in: source)
        let su = try await source.superuserConnection()
        let province = try await su.query("SELECT province_id FROM chitieu.province WHERE code = '10'")[0].decode(Int64.self, "province_id")
        let before = try await Self.rows(su, province: province)
        await su.close()
        #expect(before["admin_unit"]?.count == 161 && (before["result"]?.count ?? 0) > 0 && (before["progress"]?.count ?? 0) > 0)
        #expect(before.filter { $0.value.isEmpty }.map(\.key).sorted() == ["import_upload", "progress_on_units", "province_lineage", "reporting_deadline", "unit_attribute", "unit_succession"])

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-tenant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("lao-cai.jsonl").path
        let exported = try await run(["tenant", "export", "--province", "10", "--out", file], in: source)
        #expect(exported.output.contains("Exported province 10 Tỉnh Lào Cai"))
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(header["format"] as? String == "chitieu-tenant" && header["version"] as? Int == 1)
        #expect(lines[1].hasPrefix("{\"table\":\"province\",\"row\":{"))
        #expect(lines.last?.hasPrefix("{\"end\":true,") == true)
        let exportedRows: Int = TenantArchive.tables.map { before[$0]?.count ?? 0 }.reduce(0, +)
        #expect(lines.count == exportedRows + 2)
        #expect(!lines.contains { $0.contains("Tỉnh Yên Bái") })

        let target = try await TestDatabase.make()
        let imported = try await run(["tenant", "import", "--file", file], in: target)
        #expect(imported.output.contains("Imported province 10 Tỉnh Lào Cai (id \(province))"))
        let copy = try await target.superuserConnection()
        var after = try await Self.rows(copy, province: province)
        let importEvents = after["audit_event"]?.filter { $0.contains("\"action\": \"tenant.import\"") } ?? []
        #expect(importEvents.count == 1)
        after["audit_event"] = after["audit_event"]?.filter { !importEvents.contains($0) }
        for table in TenantArchive.tables + ["login_name"] {
            #expect(after[table] == before[table], "\(table) differs after the round trip")
        }
        #expect(try await copy.query("SELECT 1 FROM pg_roles WHERE rolname = \("chitieu_p\(province)")").count == 1)
        await copy.close()

        // The copy works: the doctor is green, the administrator logs in, new rows get new ids.
        let app = target.appPool(maxConnections: 1)
        let checks = await Doctor(pool: app, migrations: .success(try MigrationSet.load(from: try TestDatabase.sqlDirectory())), logger: TestDatabase.logger).run()
        for check in checks { #expect(check.status == .ok, "\(check.name): \(check.detail)") }
        await app.shutdown()
        _ = try await run(["indicator", "add", "--province", "10", "--code", "DA8-11", "--name", "Chỉ tiêu thêm", "--unit", "lớp", "--kind", "flow"], in: target)
        _ = try await run(["account", "create", "--province", "10", "--username", "canbo.moi", "--name", "Cán bộ mới"], in: target)
        _ = try await run(["result", "add", "--province", "10", "--indicator", "DA8-11", "--unit", "02686", "--from", "2026-03-01", "--to", "2026-03-31",
                           "--value", "2"], in: target)

        // Again into the same database: refused, nothing changes.
        let again = try await run(["tenant", "import", "--file", file], in: target, status: 1)
        #expect(again.error.contains("exists in this database already"))
    }

    @Test func aDamagedFileIsRefusedNamingTheLine() async throws {
        let source = try await TestDatabase.make()
        let root = try TestDatabase.repositoryRoot()
        let env = try Self.environment(source)
        let made = try await ChitieuCommand.run(
            ["units", "import", "--file", root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path, "--province", "15"], environment: env)
        #expect(made.status == 0, "\(made.error)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-tenant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("yen-bai.jsonl").path
        #expect(try await ChitieuCommand.run(["tenant", "export", "--province", "15", "--out", file], environment: env).status == 0)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)

        let target = try await TestDatabase.make()
        let targetEnv = try Self.environment(target)
        func refused(_ text: String) async throws -> String {
            let path = folder.appendingPathComponent("damaged-\(UUID().uuidString).jsonl").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await ChitieuCommand.run(["tenant", "import", "--file", path], environment: targetEnv)
            #expect(result.status == 1, "\(result.output)")
            return result.error
        }
        #expect(try await refused(lines.dropLast(3).joined(separator: "\n") + "\n").contains("cut short"))
        #expect(try await refused(lines.enumerated().filter { $0.offset != 5 }.map(\.element).joined(separator: "\n")).contains("export it again"))
        var otherProvince = lines
        otherProvince[4] = otherProvince[4].replacingOccurrences(of: "\"province_id\": ", with: "\"province_id\": 9")
        #expect(try await refused(otherProvince.joined(separator: "\n")).contains("line 5: is not a row of province"))
        var newer = lines
        newer[0] = newer[0].replacingOccurrences(of: "\"version\":1", with: "\"version\":2")
        #expect(try await refused(newer.joined(separator: "\n")).contains("line 1: version 2 is not one this chitieu reads (1)"))
        var unknown = lines
        unknown[3] = unknown[3].replacingOccurrences(of: "{\"table\":\"admin_unit\"", with: "{\"table\":\"job\"")
        #expect(try await refused(unknown.joined(separator: "\n")).contains("line 4: names no table of a province"))
        #expect(try await refused("not json\n").contains("line 1: is not a JSON object"))
        var cut = lines
        cut[5] = String(cut[5].dropLast(2)) + "}"
        #expect(try await refused(cut.joined(separator: "\n")).contains("line 6: is not a JSON object"))
        var notAnObject = lines
        notAnObject[6] = (notAnObject[6].components(separatedBy: ",\"row\":").first ?? "") + ",\"row\":[1]}"
        #expect(try await refused(notAnObject.joined(separator: "\n")).contains("line 7: is not a row of province"))
        var reordered = lines
        reordered[3] = "{\"row\":{\"province_id\": 15},\"table\":\"admin_unit\"}"
        #expect(try await refused(reordered.joined(separator: "\n")).contains("line 4: is not a row as `tenant export` writes it"))

        let owner = target.ownerPool()
        #expect(try await owner.query("SELECT count(*) AS n FROM chitieu.login_name")[0].decode(Int.self, "n") == 0)
        await owner.shutdown()
        let su = try await target.superuserConnection()
        #expect(try await su.query("SELECT count(*) AS n FROM chitieu.admin_unit")[0].decode(Int.self, "n") == 0)
        await su.close()
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Account, grant, token, reporting and audit commands, end to end")
struct AccessCommandTests {
    @Test func operatorsAndAccountsActThroughTheSamePolicyAndLeaveAnAuditTrail() async throws {
        let db = try await TestDatabase.make()
        let commands = try OperatorCommands(db)
        func run(_ args: [String], input: String? = nil) async throws -> CommandResult {
            try await commands.run(args, input: input)
        }
        let units = commands.units2021
        #expect(try await run(["units", "import", "--file", units, "--province", "10"]).status == 0)
        #expect(try await run(["indicator", "import", "--province", "10", "--file", commands.catalogue]).status == 0)

        // Accounts: password from standard input, NFC display names, clear refusals.
        let created = try await run(
            ["account", "create", "--province", "10", "--username", "tinh.laocai", "--name", "Nguye\u{0302}\u{0303}n Thi\u{0323} Hoa\u{0300}", "--password-stdin", "--json"],
            input: "mật khẩu tỉnh 2026\n")
        #expect(created.status == 0, "\(created.error)")
        #expect((try json(created.output) as? [String: Any])?["display_name"] as? String == "Nguyễn Thị Hoà")
        let district = try await run(["account", "create", "--province", "10", "--username", "huyen.batxat", "--name", "Cán bộ huyện Bát Xát", "--unit", "082"])
        #expect(district.status == 0, "\(district.error)")
        let commune = try await run(["account", "create", "--province", "10", "--username", "xa.amusung", "--name", "Cán bộ xã", "--unit", "02686"])
        #expect(commune.status == 0, "\(commune.error)")
        let hostile = try await run(["account", "create", "--province", "10", "--username", "x'; drop table chitieu.account; --", "--name", "X"])
        #expect(hostile.status == 1 && hostile.error.contains("username"))
        let short = try await run(["account", "create", "--province", "10", "--username", "ngan", "--name", "X", "--password-stdin"], input: "ngắn\n")
        #expect(short.status == 1 && short.error.contains("password"))
        #expect(try await run(["account", "create", "--province", "10", "--username", "tinh.laocai", "--name", "Trùng"]).error.contains("taken"))

        // Grants: levels must match; roles reach subtrees.
        #expect(try await run(["grant", "add", "--province", "10", "--account", "tinh.laocai", "--role", "province"]).status == 0)
        #expect(try await run(["grant", "add", "--province", "10", "--account", "huyen.batxat", "--role", "district", "--unit", "082"]).status == 0)
        #expect(try await run(["grant", "add", "--province", "10", "--account", "xa.amusung", "--role", "commune", "--unit", "02686"]).status == 0)
        let mismatch = try await run(["grant", "add", "--province", "10", "--account", "xa.amusung", "--role", "district", "--unit", "02686"])
        #expect(mismatch.status == 1 && mismatch.error.contains("role"))
        #expect(try await run(["grant", "add", "--province", "10", "--account", "xa.amusung", "--role", "boss"]).status == 2)

        // --as: the account's roles decide, with the same messages as the API.
        let denied = try await run(["indicator", "suspend", "--province", "10", "--code", "DA8-01", "--from", "2024-01-01", "--reason", "thử", "--as", "xa.amusung"])
        #expect(denied.status == 1 && denied.error.contains("do not allow managing indicators"), "\(denied.error)")
        let outside = try await run(["grant", "add", "--province", "10", "--account", "xa.amusung", "--role", "viewer", "--unit", "080", "--as", "huyen.batxat"])
        #expect(outside.status == 1 && outside.error.contains("not found"), "\(outside.error)")
        let districtGrant = try await run(["grant", "add", "--province", "10", "--account", "xa.amusung", "--role", "viewer", "--unit", "082", "--as", "huyen.batxat"])
        #expect(districtGrant.status == 0, "\(districtGrant.error)")
        let allowed = try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--value", "424", "--as", "tinh.laocai"])
        #expect(allowed.status == 0, "\(allowed.error)")
        #expect(try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--value", "1", "--as", "huyen.batxat"]).status == 1)
        #expect(try await run(["target", "set", "--province", "10", "--indicator", "DA8-01", "--phase", "2021-2025", "--value", "1", "--as", "nobody"]).error.contains("no account"))

        // Tokens: shown once, listed without secrets, revoked.
        let issued = try await run(["token", "issue", "--province", "10", "--account", "huyen.batxat", "--expires", "30d", "--name", "Bảng tính huyện", "--json"])
        #expect(issued.status == 0, "\(issued.error)")
        let token = try #require((try json(issued.output) as? [String: Any])?["token"] as? String)
        let tokenID = try #require((try json(issued.output) as? [String: Any])?["id"] as? String)
        let pool = db.appPool()
        let caller = try await Authenticator(database: ChitieuDatabase(pool: pool)).authenticate(bearer: token)
        #expect(caller.account?.username == "huyen.batxat")
        let listed = try await run(["token", "list", "--province", "10", "--json"])
        #expect(!listed.output.contains(token.split(separator: "_", maxSplits: 2).last!))
        #expect((try json(listed.output) as? [[String: Any]])?.first?["name"] as? String == "Bảng tính huyện")
        #expect(try await run(["token", "revoke", "--province", "10", tokenID]).status == 0)
        await expectError(.refusals) { _ = try await Authenticator(database: ChitieuDatabase(pool: pool)).authenticate(bearer: token) }
        #expect(try await run(["token", "issue", "--province", "10", "--account", "huyen.batxat", "--expires", "soon"]).status == 2)

        // Disable, enable.
        #expect(try await run(["account", "disable", "--province", "10", "huyen.batxat"]).status == 0)
        #expect(try await run(["token", "issue", "--province", "10", "--account", "huyen.batxat"]).error.contains("disabled"))
        #expect(try await run(["account", "enable", "--province", "10", "huyen.batxat"]).status == 0)
        let shown = try await run(["account", "show", "--province", "10", "xa.amusung", "--json"])
        #expect(((try json(shown.output) as? [String: Any])?["grants"] as? [Any])?.count == 2)

        // The audit log: actor, via cli, no secrets.
        let audit = try await run(["audit", "list", "--province", "10", "--limit", "200", "--json"])
        #expect(audit.status == 0, "\(audit.error)")
        let events = try #require(try json(audit.output) as? [[String: Any]])
        #expect(events.allSatisfy { $0["via"] as? String == "cli" })
        #expect(events.contains { $0["action"] as? String == "target.set" && $0["actor"] as? String == "tinh.laocai" })
        #expect(events.contains { $0["action"] as? String == "grant.add" && $0["actor"] as? String == "huyen.batxat" })
        #expect(events.contains { $0["action"] as? String == "token.revoke" && $0["actor"] as? String == "cli:token revoke" })
        #expect(!events.contains { $0["action"] as? String == "indicator.suspend" && $0["entity_id"] as? String == "DA8-01" })
        #expect(!audit.output.contains(token.split(separator: "_", maxSplits: 2).last!) && !audit.output.contains("mật khẩu tỉnh"))
        #expect(events.contains { ($0["summary"] as? String)?.hasPrefix("cli:token revoke đã thu hồi một mã truy cập") == true })
        // The table says what happened in a sentence, in its own column.
        let table = try await run(["audit", "list", "--province", "10", "--entity", "token"])
        #expect(table.output.contains("summary") && table.output.contains("cli:token revoke đã thu hồi một mã truy cập"), "\(table.output)")
        let grantsOnly = try await run(["audit", "list", "--province", "10", "--entity", "grant", "--json"])
        #expect((try json(grantsOnly.output) as? [[String: Any]])?.allSatisfy { $0["entity_type"] as? String == "grant" } == true)
        #expect(try await run(["audit", "list", "--province", "10", "--as", "xa.amusung"]).status == 1)

        // Reporting logins.
        let login = "baocao_cmd_\(UInt32.random(in: 0...UInt32.max))"
        let reporting = try await run(["reporting", "login", "create", "--province", "10", "--login", login], input: "mật khẩu báo cáo 2026\n")
        #expect(reporting.status == 0, "\(reporting.error)")
        #expect(try await run(["reporting", "login", "list"]).output.contains(login))
        #expect(try await run(["reporting", "login", "drop", login]).status == 0)
        #expect(!(try await run(["reporting", "login", "list"]).output.contains(login)))
        await pool.shutdown()
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// `GET /v1/progress/summary` answers for the units of the caller's grants, never above them:
/// every role gets the standing of its own units, the one `GET /v1/progress?unit_id=…&depth=0`
/// gives it.
@Suite("The progress summary of an officer's own scope")
struct ProgressSummaryScopeTests {
    @Test func everyRoleGetsTheSummaryOfItsOwnUnits() async throws {
        let world = try await AccessWorld.make()
        let u = world.unitsA
        try await world.openReporting()
        let su = try await world.db.superuserConnection()
        let communeCode = try await su.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND unit_id = \(u.commune)")[0]
            .decode(String.self, at: 0)
        await su.close()
        // The province's phase target is far from reached; the commune's own share is reached.
        try await world.allocatePhaseTarget(in: world.a)
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: communeCode, year: nil, value: 2, lock: true,
            caller: .command("test"))
        try await world.approvedCommuneResult(value: 2)
        try await world.computeProgress([world.a])
        // A district's viewer, and a viewer of one district and of a commune of another.
        try await world.officer("xemhuyen10", in: world.a, role: .viewer, at: u.district)
        try await world.officer("xemhai10", in: world.a, role: .viewer, at: u.otherDistrict)
        _ = try await world.accounts.grant(province: world.a.id, username: "xemhai10", role: .viewer, unit: .id(u.commune), caller: .command("test"))

        let scopes: [(login: String, units: Set<Int64>)] = [
            ("tinh10", [u.province]), ("xem10", [u.province]), ("huyen10", [u.district]), ("xemhuyen10", [u.district]),
            ("xa10", [u.commune]), ("xemhai10", [u.otherDistrict, u.commune]),
        ]
        try await withLiveAPI(world) { api in
            var completedAt: [Int64: Int] = [:]
            for scope in scopes {
                let token = try await api.login(scope.login)
                let summary = try await api.call(.get, "/v1/progress/summary", token: token)
                #expect(summary.status == .ok, "\(scope.login): \(summary.text)")
                let units = Set(summary.items.compactMap { ($0["unit_id"] as? NSNumber)?.int64Value })
                #expect(units == scope.units, "\(scope.login) was answered for units \(units), not its own \(scope.units)")
                for item in summary.items {
                    let unit = try #require((item["unit_id"] as? NSNumber)?.int64Value)
                    let phase = try #require(item["phase"] as? String)
                    // What the same officer reads of that unit, figure by figure.
                    let own = try await api.call(.get, "/v1/progress?phase=\(phase)&unit_id=\(unit)&depth=0", token: token)
                    #expect(own.status == .ok, "\(scope.login) \(phase) \(unit): \(own.text)")
                    let statuses = own.items.compactMap { $0["status"] as? String }
                    func count(_ status: String) -> Int { statuses.filter { $0 == status }.count }
                    let expected = [
                        "indicators": statuses.count, "completed": count("completed"), "on_track": count("on_track"), "behind": count("behind"),
                        "suspended": count("suspended"),
                    ]
                    for (name, value) in expected {
                        #expect((item[name] as? NSNumber)?.intValue == value, "\(scope.login) \(phase) \(unit) \(name): \(item[name] ?? "missing"), the unit has \(value)")
                    }
                    if phase == "2021-2025" { completedAt[unit] = (item["completed"] as? NSNumber)?.intValue }
                }
            }
            // The figures differ from level to level: the commune reached its share, the province did not.
            #expect(completedAt[u.commune] == 1 && completedAt[u.province] == 0, "\(completedAt)")
            // A unit above the scope stays out of reach, as on every other route.
            let commune = try await api.login("xa10")
            #expect(try await api.call(.get, "/v1/progress?phase=2021-2025&unit_id=\(u.province)&depth=0", token: commune).status == .notFound)
        }
        // The command acting for an officer answers alike; the operator gets the province's unit.
        let env = [
            "CHITIEU_ADMIN_DATABASE_URL": world.db.ownerConnectionString,
            "CHITIEU_SQL_DIR": try TestDatabase.repositoryRoot().appendingPathComponent("SQL").path,
        ]
        for (acting, unit) in [(["--as", "xa10"], u.commune), ([], u.province)] {
            let ran = try await ChitieuCommand.run(["progress", "summary", "--province", world.a.code, "--json"] + acting, environment: env)
            #expect(ran.status == 0, "\(ran.error)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(ran.output.utf8)) as? [[String: Any]])
            #expect(Set(rows.compactMap { ($0["unit_id"] as? NSNumber)?.int64Value }) == [unit], "\(acting): \(ran.output)")
            let completed = rows.first { $0["phase"] as? String == "2021-2025" }?["completed"] as? NSNumber
            #expect(completed?.intValue == (unit == u.commune ? 1 : 0))
        }
        await world.shutdown()
    }
}

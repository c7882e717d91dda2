import ChitieuDomain
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Logging
import Postgres
import Synchronization
import Testing

/// Any role of the cluster may NOTIFY the daemons' channels and LISTEN on them. A reporting
/// login's notifications must drop nothing the daemon keeps, and what it hears must not say
/// which province changed; real changes still reach every daemon.
@Suite("Announcements a reporting login cannot forge")
struct AnnouncementTrustTests {
    @Test func aForgedNotificationDropsNothingAndARealChangeStillApplies() async throws {
        let world = try await AccessWorld.make()
        var phases: [Int64: Int64] = [:]
        for p in [world.a, world.b] {
            _ = try await TargetStore(database: world.app).set(
                province: p.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
            phases[p.id] = try await ProgressStore(database: world.app).phaseIDs(province: p.id, code: "2021-2025")[0]
            _ = try await ProgressStore(database: world.app).compute(province: p.id, phaseID: phases[p.id]!)
        }
        let officers = [world.a.id: try await world.caller("tinh10", in: world.a), world.b.id: try await world.caller("tinh15", in: world.b)]
        let figuresCache = FiguresCache()
        let tokenCache = TokenCache()
        let store = ProgressStore(database: world.app, cache: figuresCache)
        let authenticator = Authenticator(database: world.app, passwordParameters: testPasswordParameters, cache: tokenCache)
        let tokens = [
            world.a.id: try await authenticator.issue(province: world.a.id, username: "tinh10", name: nil, lifetimeSeconds: nil, caller: .command("test")),
            world.b.id: try await authenticator.issue(province: world.b.id, username: "tinh15", name: nil, lifetimeSeconds: nil, caller: .command("test")),
        ]
        func target(_ province: Int64) async throws -> Int? {
            try await answeredTarget(store, province: province, caller: officers[province]!)
        }
        func accepted(_ province: Int64) async -> Bool {
            (try? await authenticator.authenticate(bearer: tokens[province]!.secret)) != nil
        }

        let service = CacheInvalidationService(
            caches: [tokenCache, figuresCache], configuration: world.app.pool.configuration, logger: Logger(label: "test"))
        let listening = Task { try await service.run() }
        let filled = try await ChitieuTesting.eventually {
            for p in [world.a.id, world.b.id] {
                _ = try await target(p)
                _ = await accepted(p)
            }
            return figuresCache.count == 2 && tokenCache.count == 2
        }
        #expect(filled, "the caches never kept anything")

        // Behind chitieu's back, nothing announced: the kept answers stay.
        let su = try await world.db.superuserConnection()
        try await su.query("UPDATE chitieu.progress SET target = 1 WHERE province_id = \(world.a.id) AND year IS NULL")
        try await su.query("UPDATE chitieu.api_token SET revoked_at = now() WHERE token_id = \(tokens[world.a.id]!.id)")
        #expect(try await target(world.a.id) == 424)
        #expect(await accepted(world.a.id))

        // A reporting login of province B listens, then rings every bell it can, naming province A and none.
        let owner = ChitieuDatabase(pool: world.db.ownerPool())
        let login = "baocao_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await ReportingLogins(database: owner).create(province: world.b, login: login, password: "mật khẩu báo cáo 2026")
        await owner.pool.shutdown()
        let loginConfiguration = PostgresConfiguration(connectionString: world.db.connectionString(user: login))
        let forger = try await PostgresConnection.connect(loginConfiguration, logger: TestDatabase.logger)
        let forgerPID = try await forger.backendPID()
        let eavesdropper = try await PostgresListener.start(
            configuration: loginConfiguration, channels: [TokenCache.channel, FiguresCache.channel], logger: TestDatabase.logger)
        let heard = Mutex<[PostgresNotification]>([])
        let hearing = Task { for await n in eavesdropper.notifications where n.senderPID != forgerPID { heard.withLock { $0.append(n) } } }
        for channel in [TokenCache.channel, FiguresCache.channel] {
            for payload in [String(world.a.id), "", "x"] {
                try await forger.query("SELECT pg_notify(\(channel), \(payload))")
            }
        }
        // The epochs are the owner's: the login can neither move nor read them.
        await #expect(throws: PostgresError.self) { _ = try await forger.query("SELECT chitieu.announce_change('chitieu_figures', \(world.a.id))") }
        await #expect(throws: PostgresError.self) { _ = try await forger.query("SELECT * FROM chitieu.cache_epoch") }
        await forger.close()

        // A real change of province B, after the forged ones: once the daemon has it, it has read the forged ones too.
        _ = try await TargetStore(database: world.app).set(
            province: world.b.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 430, lock: false, caller: .command("test"))
        _ = try await ProgressStore(database: world.app).compute(province: world.b.id, phaseID: phases[world.b.id]!)
        _ = try await Authenticator(database: world.app, passwordParameters: testPasswordParameters).revoke(
            province: world.b.id, tokenID: tokens[world.b.id]!.id, caller: .command("test"))
        #expect(try await ChitieuTesting.eventually { try await target(world.b.id) == 430 }, "the recomputation was not applied")
        #expect(try await ChitieuTesting.eventually { await !accepted(world.b.id) }, "the revocation was not applied")
        #expect(try await target(world.a.id) == 424, "a forged notification dropped province A's kept figures")
        #expect(await accepted(world.a.id), "a forged notification dropped province A's kept token")

        // What the listening login heard of the real changes: that something changed, not where.
        #expect(try await ChitieuTesting.eventually { heard.withLock { Set($0.map(\.channel)) } == [TokenCache.channel, FiguresCache.channel] })
        #expect(heard.withLock { $0.allSatisfy { $0.payload.isEmpty } }, "\(heard.withLock { $0 })")
        eavesdropper.stop()
        hearing.cancel()

        listening.cancel()
        _ = try? await listening.value
        await su.close()
        await world.shutdown()
    }
}

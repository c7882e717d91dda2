import ChitieuDomain
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Logging
import Postgres
import Testing

/// The daemon keeps officers' progress answers in memory; a recomputation or a change of
/// units made anywhere through chitieu still applies at once, and only to its province.
@Suite("Progress answers kept in memory")
struct FiguresCacheTests {
    @Test func keptAnswersLastUntilTheirProvinceAnnouncesAChange() async throws {
        let world = try await AccessWorld.make()
        let targets = TargetStore(database: world.app)
        var phases: [Int64: Int64] = [:]
        for p in [world.a, world.b] {
            _ = try await targets.set(province: p.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
            _ = try await AllocationStore(database: world.app).allocate(province: p.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
            phases[p.id] = try await ProgressStore(database: world.app).phaseIDs(province: p.id, code: "2021-2025")[0]
            _ = try await ProgressStore(database: world.app).compute(province: p.id, phaseID: phases[p.id]!)
        }
        let officers = [world.a.id: try await world.caller("tinh10", in: world.a), world.b.id: try await world.caller("tinh15", in: world.b)]
        let cache = FiguresCache()
        let store = ProgressStore(database: world.app, cache: cache)
        func target(_ province: Int64) async throws -> Int? {
            // As the daemon answers: kept written.
            try await answeredTarget(store, province: province, caller: officers[province]!)
        }
        /// Asks until `expected` comes back (an announcement on its way to the daemon).
        func eventually(_ province: Int64, is expected: Int) async throws -> Bool {
            try await ChitieuTesting.eventually { try await target(province) == expected }
        }
        let su = try await world.db.superuserConnection()
        /// A figure changed behind chitieu's back: nothing announces it.
        func overwrite(_ province: Int64, target: Int) async throws {
            try await su.query("UPDATE chitieu.progress SET target = \(target) WHERE province_id = \(province) AND year IS NULL")
        }

        // Nothing is kept before the listener connects.
        #expect(try await target(world.a.id) == 424)
        #expect(cache.count == 0)
        let service = CacheInvalidationService(caches: [cache], configuration: world.app.pool.configuration, logger: Logger(label: "test"))
        let listening = Task { try await service.run() }
        let filled = try await ChitieuTesting.eventually {
            _ = try await target(world.a.id)
            _ = try await target(world.b.id)
            return cache.count == 2
        }
        #expect(filled)
        #expect(cache.count == 2)

        // Kept: the database's answer changed, the kept one did not.
        try await overwrite(world.a.id, target: 1)
        try await overwrite(world.b.id, target: 2)
        #expect(try await target(world.a.id) == 424)
        #expect(try await target(world.b.id) == 424)

        // A recomputation in province A (another daemon's job, say) applies at once, there only.
        _ = try await targets.set(province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 430, lock: false, caller: .command("test"))
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phases[world.a.id]!)
        #expect(try await eventually(world.a.id, is: 430), "the recomputed figure replaced the kept one")
        #expect(try await target(world.b.id) == 424, "another province's kept answer stays")

        // A change of province B's units (a re-import renaming a commune) drops B's answers.
        let owner = ChitieuDatabase(pool: world.db.ownerPool())
        var file = try AdminUnitsCSV.parse(try dataFile("units-2021.csv")).filtered(province: "15")
        let renamed = try #require(file.units.firstIndex { $0.level == .commune })
        file.units[renamed].name += " (đổi tên)"
        _ = try await UnitStore(database: owner).importUnits(
            file, validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil, actor: .command("test"), source: "test")
        await owner.pool.shutdown()
        #expect(try await eventually(world.b.id, is: 2), "the unit import was announced")

        // With the listener gone nothing is kept: every answer is the database's.
        listening.cancel()
        _ = try? await listening.value
        try await overwrite(world.a.id, target: 3)
        #expect(try await target(world.a.id) == 3)
        #expect(cache.count == 0)
        await su.close()
        await world.shutdown()
    }
}

/// The province's phase target of DA8-01 as the daemon answers it: written by `store` (through
/// its cache, for an officer's own scope).
func answeredTarget(_ store: ProgressStore, province: Int64, caller: Caller) async throws -> Int? {
    let answer = try await store.figures(
        province: province, phaseCode: "2021-2025", year: nil, unit: nil, depth: 0, indicatorCode: "DA8-01", caller: caller,
        render: Representation.progressItems)
    let items = try #require((try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["items"] as? [[String: Any]])
    return (try #require(items.first)["target"] as? NSNumber)?.intValue
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Result moves: round trips to the database")
struct ResultRoundTripTests {
    /// Each move of a result's life, with the round trips it took.
    @Test func eachMoveTakesFewRoundTrips() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        let results = ResultStore(database: world.app)
        let (commune, district) = try await world.communeAndDistrictCallers()
        let input = ResultInput(
            indicatorID: world.indicators[0], unit: .id(world.unitsA.commune), periodStart: PostgresDate(year: 2025, month: 1, day: 1),
            periodEnd: PostgresDate(year: 2025, month: 3, day: 31), figures: ResultFigures(value: 3))
        var edited = input
        edited.figures = ResultFigures(value: 4, evidenceNote: "Biên bản họp tổ")
        let province = world.a.id

        var trips: [(move: String, roundTrips: Int)] = []
        func counted(_ move: String, _ body: () async throws -> ResultRecord) async throws -> ResultRecord {
            let (record, roundTrips) = try await PostgresRoundTrips.count(body)
            trips.append((move, roundTrips))
            return record
        }
        var r = try await counted("create") {
            try await results.create(province: province, input, submit: false, idempotencyKey: nil, caller: commune).result
        }
        r = try await counted("update") { try await results.update(province: province, id: r.id, edited, expectedVersion: r.version, caller: commune) }
        r = try await counted("PATCH") {
            // What PATCH /v1/results/{id} does.
            try await results.edit(
                province: province, id: r.id, periodStart: edited.periodStart, periodEnd: edited.periodEnd, figures: edited.figures,
                expectedVersion: r.version, caller: commune)
        }
        // A unit named by its code is looked up first.
        let code = try await world.app.withTenant(province) { tx in
            try await tx.query("SELECT code FROM chitieu.admin_unit WHERE province_id = \(province) AND unit_id = \(world.unitsA.commune)")[0]
                .decode(String.self, at: 0)
        }
        var byCode = edited
        byCode.unit = .code(code)
        r = try await counted("update, the unit by code") { try await results.update(province: province, id: r.id, byCode, expectedVersion: r.version, caller: commune) }
        r = try await counted("submit") { try await results.submit(province: province, id: r.id, expectedVersion: r.version, caller: commune) }
        r = try await counted("return") {
            try await results.giveBack(province: province, id: r.id, reason: "Thiếu biên bản", expectedVersion: r.version, caller: district)
        }
        r = try await counted("submit again") { try await results.submit(province: province, id: r.id, expectedVersion: r.version, caller: commune) }
        r = try await counted("approve") { try await results.approve(province: province, id: r.id, expectedVersion: r.version, caller: district) }
        r = try await counted("correct") {
            try await results.correct(
                province: province, id: r.id, figures: ResultFigures(value: 5), reason: "Thêm một tổ", expectedVersion: r.version, caller: district)
        }
        #expect(r.state == .approved && r.figures.value == 5 && r.version == 9)
        print("round trips: " + trips.map { "\($0.move) \($0.roundTrips)" }.joined(separator: ", "))
        for (move, roundTrips) in trips {
            #expect(roundTrips <= 3, "\(move) took \(roundTrips) round trips")
        }
        // A refused move, too: read, refused, rolled back.
        let (refused, roundTrips) = await PostgresRoundTrips.count {
            try? await results.approve(province: province, id: r.id, expectedVersion: r.version, caller: district)
        }
        #expect(refused == nil && roundTrips <= 3, "a refused approval took \(roundTrips) round trips")
        await world.shutdown()
    }
}

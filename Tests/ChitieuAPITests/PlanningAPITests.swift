import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("Targets, allocation rules, allocations and jobs over HTTP")
struct PlanningAPITests {
    static let phase = "2021-2025"

    @Test func targetsAreReadInScopeAndSetByTheRolesThatMay() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, commune, viewer) = try await api.officers()
            let other = try await api.login("tinh15")
            let indicator = world.indicators[0]
            let u = world.unitsA

            let assigned = try await api.call(.put, "/v1/targets", token: province, json: ["indicator_id": indicator, "phase": Self.phase, "value": 424])
            #expect(assigned.status == .ok, "\(assigned.text)")
            #expect(assigned.json["origin"] as? String == "assigned" && assigned.json["locked"] as? Bool == false)
            #expect((assigned.json["unit_id"] as? NSNumber)?.int64Value == u.province && assigned.json["year"] is NSNull)
            #expect((assigned.json["value"] as? NSNumber)?.intValue == 424 && assigned.json["unit_name"] as? String == "Tỉnh Lào Cai")
            let override: [String: Any] = ["indicator_id": indicator, "phase": Self.phase, "unit_id": u.district, "year": 2023, "value": 40, "locked": true]
            let locked = try await api.call(.put, "/v1/targets", token: province, json: override)
            #expect(locked.status == .ok && locked.json["origin"] as? String == "overridden" && locked.json["locked"] as? Bool == true, "\(locked.text)")

            // A locked cell changes only when the request says whether it stays locked.
            var silent = override
            silent["locked"] = nil
            silent["value"] = 41
            let conflict = try await api.call(.put, "/v1/targets", token: province, json: silent)
            #expect(conflict.status == .conflict, "\(conflict.text)")
            #expect((conflict.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "locked")
            silent["locked"] = true
            let relocked = try await api.call(.put, "/v1/targets", token: province, json: silent)
            #expect(relocked.status == .ok && (relocked.json["value"] as? NSNumber)?.intValue == 41 && relocked.json["locked"] as? Bool == true)

            // Refused requests change nothing.
            let before = try await provinceSnapshot(world, world.a)
            let communeCell: [String: Any] = ["indicator_id": indicator, "phase": Self.phase, "unit_id": u.commune, "value": 3]
            for token in [district, commune, viewer] {
                let denied = try await api.call(.put, "/v1/targets", token: token, json: communeCell)
                #expect(denied.status == .forbidden, "\(denied.text)")
            }
            let notFound: [(String, [String: Any])] = [
                (other, ["indicator_id": indicator, "phase": Self.phase, "value": 1]),
                (province, ["indicator_id": world.indicators[1], "phase": Self.phase, "value": 1]),
                (province, ["indicator_id": indicator, "phase": Self.phase, "unit_id": world.unitsB.commune, "value": 1]),
                (district, ["indicator_id": indicator, "phase": Self.phase, "unit_id": u.otherCommune, "value": 1]),
            ]
            for (token, body) in notFound {
                let response = try await api.call(.put, "/v1/targets", token: token, json: body)
                #expect(response.status == .notFound, "\(body): \(response.text)")
            }
            let invalid: [([String: Any], String)] = [
                (["indicator_id": indicator, "phase": Self.phase, "value": -1], "value"),
                (["indicator_id": indicator, "phase": Self.phase, "value": 2_000_000_000], "value"),
                (["indicator_id": indicator, "phase": Self.phase, "value": "12"], "value"),
                (["indicator_id": indicator, "phase": Self.phase], "value"),
                (["indicator_id": indicator, "phase": "2099-2103", "value": 1], "phase"),
                (["indicator_id": indicator, "phase": "giai đoạn 1", "value": 1], "phase"),
                (["indicator_id": indicator, "value": 1], "phase"),
                (["indicator_id": indicator, "phase": Self.phase, "year": 2030, "value": 1], "year"),
                (["indicator_id": indicator, "phase": Self.phase, "value": 1, "locked": "yes"], "locked"),
                (["indicator_id": indicator, "phase": Self.phase, "value": 1, "colour": "đỏ"], "colour"),
                (["phase": Self.phase, "value": 1], "indicator_id"),
            ]
            for (body, field) in invalid {
                let response = try await api.call(.put, "/v1/targets", token: province, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(response.text)")
            }
            #expect(try await api.call(.put, "/v1/targets", token: province, body: Data("{\"value\": 1,".utf8)).status == .badRequest)
            #expect(try await api.call(.put, "/v1/targets", token: province, body: Data("[1]".utf8)).status == .badRequest)
            #expect(try await api.call(.put, "/v1/targets", json: communeCell).status == .unauthorized)
            #expect(try await provinceSnapshot(world, world.a) == before)

            // Reading: the province sees its cell and the district's; the district its own only.
            let sheet = try await api.call(.get, "/v1/targets?phase=\(Self.phase)", token: province)
            #expect(sheet.status == .ok && sheet.json["next_cursor"] is NSNull, "\(sheet.text)")
            #expect(sheet.items.map { ($0["unit_id"] as? NSNumber)?.int64Value } == [u.province, u.district])
            let own = try await api.call(.get, "/v1/targets?phase=\(Self.phase)&indicator_id=\(indicator)", token: district)
            #expect(own.items.map { ($0["unit_id"] as? NSNumber)?.int64Value } == [u.district] && own.items.first?["year"] as? Int == 2023)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)", token: viewer).items.count == 2)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)&year=2023", token: province).items.count == 1)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)&depth=0", token: province).items.count == 1)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)", token: other).items.isEmpty)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)&unit_id=\(u.district)", token: other).status == .notFound)
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)&unit_id=\(u.province)", token: district).status == .notFound)
            for (query, field) in [("", "phase"), ("phase=2099-2103", "phase"), ("phase=\(Self.phase)&year=2030", "year"),
                                   ("phase=\(Self.phase)&depth=9", "depth"), ("phase=\(Self.phase)&cursor=0", "cursor"),
                                   ("phase=\(Self.phase)&cursor=999999", "cursor"), ("phase=\(Self.phase)&unit_id=x", "unit_id")] {
                let response = try await api.call(.get, "/v1/targets?\(query)", token: province)
                #expect(response.status == .unprocessableContent, "\(query): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(query): \(response.text)")
            }
            #expect(try await api.call(.get, "/v1/targets?phase=\(Self.phase)").status == .unauthorized)

            // Pages: the yearly cells of the province, two at a time, each once and in order.
            for year in 2021...2025 {
                let set = try await api.call(.put, "/v1/targets", token: province, json: ["indicator_id": indicator, "phase": Self.phase, "year": year, "value": 80 + year % 10])
                #expect(set.status == .ok)
            }
            let whole = try await api.call(.get, "/v1/targets?phase=\(Self.phase)&depth=0", token: province)
            #expect(whole.items.map { $0["year"] as? Int } == [nil, 2021, 2022, 2023, 2024, 2025])
            var paged: [Int64] = []
            var cursor: String?
            repeat {
                let response = try await api.call(.get, "/v1/targets?phase=\(Self.phase)&depth=0&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: province)
                paged += response.items.compactMap { ($0["id"] as? NSNumber)?.int64Value }
                cursor = response.json["next_cursor"] as? String
            } while cursor != nil && paged.count < 10
            #expect(paged == whole.items.compactMap { ($0["id"] as? NSNumber)?.int64Value })

            // Every change left an audit event through the API.
            let audit = try await api.call(.get, "/v1/audit?entity_type=target&limit=100", token: province)
            #expect(audit.items.filter { $0["via"] as? String == "api" && $0["action"] as? String == "target.set" }.count == 8)
        }
    }

    @Test func allocationRulesAreReadAndSetInScope() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, _, viewer) = try await api.officers()
            let other = try await api.login("tinh15")
            let indicator = world.indicators[0]
            let u = world.unitsA
            let districtCode = try #require(try await api.call(.get, "/v1/units/\(u.district)", token: province).json["code"] as? String)
            let otherCode = try #require(try await api.call(.get, "/v1/units/\(u.otherDistrict)", token: province).json["code"] as? String)
            let communeCode = try #require(try await api.call(.get, "/v1/units/\(u.commune)", token: province).json["code"] as? String)

            let rule: [String: Any] = [
                "indicator_id": indicator, "phase": Self.phase, "method": "weighted", "weights": [districtCode: 3, otherCode: 1],
                "minimum": 1, "years": [1, 2, 2, 2, 1],
            ]
            let set = try await api.call(.put, "/v1/allocation-rules", token: province, json: rule)
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.json["method"] as? String == "weighted" && (set.json["unit_id"] as? NSNumber)?.int64Value == u.province)
            #expect((set.json["weights"] as? [String: Int]) == [districtCode: 3, otherCode: 1])
            #expect((set.json["years"] as? [Int]) == [1, 2, 2, 2, 1] && (set.json["minimum"] as? Int) == 1 && set.json["attribute"] is NSNull)

            // A district plans its communes only when the province allows it.
            let below: [String: Any] = ["indicator_id": indicator, "phase": Self.phase, "unit_id": u.district, "method": "equal", "minimum": 2]
            let before = try await provinceSnapshot(world, world.a)
            #expect(try await api.call(.put, "/v1/allocation-rules", token: district, json: below).status == .forbidden)
            #expect(try await api.call(.put, "/v1/allocation-rules", token: viewer, json: below).status == .forbidden)
            #expect(try await api.call(.put, "/v1/allocation-rules", token: other, json: rule).status == .notFound)
            var foreignUnit = below
            foreignUnit["unit_id"] = world.unitsB.district
            #expect(try await api.call(.put, "/v1/allocation-rules", token: province, json: foreignUnit).status == .notFound)
            let invalid: [([String: Any], String)] = [
                (rule.merging(["weights": ["99999": 1]]) { $1 }, "weights"),
                (rule.merging(["weights": [communeCode: 1]]) { $1 }, "weights"),
                (rule.merging(["weights": [districtCode: -1]]) { $1 }, "weights.\(districtCode)"),
                (rule.merging(["years": [1, 2]]) { $1 }, "years"),
                (rule.merging(["years": "1,2,2,2,1"]) { $1 }, "years"),
                (rule.merging(["method": "random"]) { $1 }, "method"),
                (rule.merging(["method": "equal"]) { $1 }, "method"),
                (rule.merging(["minimum": -1]) { $1 }, "minimum"),
                (rule.merging(["attribute": "dân số"]) { $1 }, "attribute"),
                (["indicator_id": indicator, "method": "equal"], "phase"),
            ]
            for (body, field) in invalid {
                let response = try await api.call(.put, "/v1/allocation-rules", token: province, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(response.text)")
            }
            #expect(try await api.call(.put, "/v1/allocation-rules", token: province, body: Data("{\"method\": ".utf8)).status == .badRequest)
            #expect(try await api.call(.put, "/v1/allocation-rules", json: rule).status == .unauthorized)
            #expect(try await provinceSnapshot(world, world.a) == before)

            let su = try await world.db.superuserConnection()
            try await su.query("UPDATE chitieu.province SET district_allocation = true WHERE province_id = \(world.a.id)")
            await su.close()
            let district2 = try await api.login("huyen10")
            let own = try await api.call(.put, "/v1/allocation-rules", token: district2, json: below)
            #expect(own.status == .ok && own.json["method"] as? String == "equal" && own.json["weights"] is NSNull, "\(own.text)")
            var beside = below
            beside["unit_id"] = u.otherDistrict
            #expect(try await api.call(.put, "/v1/allocation-rules", token: district2, json: beside).status == .notFound)

            // Reading: the province both rules, the district its own, the other province none.
            let all = try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)", token: province)
            #expect(all.status == .ok && all.items.map { ($0["unit_id"] as? NSNumber)?.int64Value } == [u.province, u.district], "\(all.text)")
            #expect(try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)", token: district2).items.map { ($0["unit_id"] as? NSNumber)?.int64Value } == [u.district])
            #expect(try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)", token: viewer).items.count == 2)
            #expect(try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)", token: other).items.isEmpty)
            #expect(try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)&unit_id=\(u.district)", token: other).status == .notFound)
            let first = try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)&limit=1", token: province)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)&limit=1&cursor=\(cursor)", token: province)
            #expect(second.items.map { ($0["unit_id"] as? NSNumber)?.int64Value } == [u.district])
            #expect(try await api.call(.get, "/v1/allocation-rules", token: province).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/allocation-rules?phase=\(Self.phase)&limit=5000", token: province).status == .unprocessableContent)
        }
    }

    @Test func allocationsAreQueuedAndTheProvincesJobsRead() async throws {
        try await withLiveAPIWorld { world, api in
            let (province, district, _, viewer) = try await api.officers()
            let other = try await api.login("tinh15")
            let indicator = world.indicators[0]
            #expect(try await api.call(.put, "/v1/targets", token: province, json: ["indicator_id": indicator, "phase": Self.phase, "value": 424]).status == .ok)

            let queued = try await api.call(.post, "/v1/allocations", token: province, json: ["phase": Self.phase, "indicator_id": indicator])
            #expect(queued.status == .accepted, "\(queued.text)")
            #expect(queued.json["state"] as? String == "pending" && queued.json["kind"] as? String == "allocate")
            let id = try #require((queued.json["id"] as? NSNumber)?.int64Value)
            #expect(queued.headers[.location] == "/v1/jobs/\(id)")
            #expect((queued.json["args"] as? [String: Any])?["indicator"] as? String == "DA8-01")
            // A second request joins the pending job.
            let again = try await api.call(.post, "/v1/allocations", token: province, json: ["phase": Self.phase, "indicator_id": indicator])
            #expect(again.status == .accepted && (again.json["id"] as? NSNumber)?.int64Value == id)
            let audit = try await api.call(.get, "/v1/audit?entity_type=job&entity_id=\(id)", token: province)
            #expect(audit.items.count == 2 && audit.items.allSatisfy { $0["action"] as? String == "allocation.request" && $0["via"] as? String == "api" })

            // Who may not: 403; another province's indicator: 404; bad bodies: 400 and 422.
            let before = try await provinceSnapshot(world, world.a)
            for token in [district, viewer] {
                #expect(try await api.call(.post, "/v1/allocations", token: token, json: ["phase": Self.phase]).status == .forbidden)
            }
            #expect(try await api.call(.post, "/v1/allocations", token: other, json: ["phase": Self.phase, "indicator_id": indicator]).status == .notFound)
            for (body, field) in [(["indicator_id": indicator] as [String: Any], "phase"), (["phase": "2099-2103"], "phase"), (["phase": Self.phase, "indicator_id": "DA8-01"], "indicator_id"), (["phase": Self.phase, "wait": true], "wait")] {
                let response = try await api.call(.post, "/v1/allocations", token: province, json: body)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(response.text)")
            }
            #expect(try await api.call(.post, "/v1/allocations", token: province, body: Data("phase=2021-2025".utf8)).status == .badRequest)
            #expect(try await api.call(.post, "/v1/allocations", json: ["phase": Self.phase]).status == .unauthorized)
            #expect(try await provinceSnapshot(world, world.a) == before)

            // The province's jobs: its officers of the province role read them; nobody else's.
            let listed = try await api.call(.get, "/v1/jobs", token: province)
            #expect(listed.status == .ok && listed.items.compactMap { ($0["id"] as? NSNumber)?.int64Value } == [id], "\(listed.text)")
            #expect(try await api.call(.get, "/v1/jobs?state=pending&kind=allocate", token: province).items.count == 1)
            #expect(try await api.call(.get, "/v1/jobs?state=failed", token: province).items.isEmpty)
            #expect(try await api.call(.get, "/v1/jobs/\(id)", token: province).json["kind"] as? String == "allocate")
            #expect(try await api.call(.get, "/v1/jobs/\(id)", token: other).status == .notFound)
            #expect(try await api.call(.get, "/v1/jobs", token: other).items.isEmpty)
            #expect(try await api.call(.get, "/v1/jobs", token: district).status == .forbidden)
            #expect(try await api.call(.get, "/v1/jobs/\(id)", token: viewer).status == .forbidden)
            let deployment = try await JobQueue(pool: world.app.pool).enqueue(kind: "jobs.prune")
            #expect(try await api.call(.get, "/v1/jobs/\(deployment.id)", token: province).status == .notFound)
            #expect(try await api.call(.get, "/v1/jobs/kh%C3%B4ng", token: province).status == .notFound)
            for (query, field) in [("state=done", "state"), ("limit=0", "limit"), ("cursor=-1", "cursor")] {
                let response = try await api.call(.get, "/v1/jobs?\(query)", token: province)
                #expect(response.status == .unprocessableContent && (response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(query)")
            }
            #expect(try await api.call(.get, "/v1/jobs").status == .unauthorized)
            let whole = try await api.call(.post, "/v1/allocations", token: province, json: ["phase": "2026-2030"])
            #expect(whole.status == .accepted && (whole.json["args"] as? [String: Any])?["indicator"] == nil)
            let first = try await api.call(.get, "/v1/jobs?limit=1", token: province)
            #expect(first.items.compactMap { ($0["id"] as? NSNumber)?.int64Value } == [(whole.json["id"] as? NSNumber)?.int64Value ?? 0])
            let next = try #require(first.json["next_cursor"] as? String)
            #expect(try await api.call(.get, "/v1/jobs?limit=1&cursor=\(next)", token: province).items.compactMap { ($0["id"] as? NSNumber)?.int64Value } == [id])

            // The job runs (here at once, as a worker would) and the targets appear.
            let queue = JobQueue(pool: world.app.pool)
            _ = try #require(try await queue.claim(id: id, worker: "test", lease: .seconds(60)))
            _ = try await AllocationStore(database: world.app).allocate(province: world.a.id, phaseCode: Self.phase, indicatorCode: "DA8-01", caller: .job(id))
            #expect(try await queue.complete(id, worker: "test"))
            let done = try await api.call(.get, "/v1/jobs/\(id)", token: province)
            #expect(done.json["state"] as? String == "succeeded" && done.json["finished_at"] is String)
            let cells = try await api.call(.get, "/v1/targets?phase=\(Self.phase)&year=2025&limit=1000", token: province)
            let districts = cells.items.filter { $0["unit_level"] as? String == "district" }
            #expect(districts.count == 9 && districts.allSatisfy { $0["origin"] as? String == "allocated" })
            #expect(districts.compactMap { ($0["value"] as? NSNumber)?.intValue }.reduce(0, +) == 424)
        }
    }
}

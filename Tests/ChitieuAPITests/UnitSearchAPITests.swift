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

@Suite("Searching units by name over HTTP")
struct UnitSearchAPITests {
    /// Names as people type them: with or without diacritics, the tone mark on either vowel
    /// (Hoà / Hòa, Thuỷ / Thủy), decomposed or not, any case; in the caller's scope only.
    @Test func searchIgnoresDiacriticsAndToneMarkPlacementWithinScope() async throws {
        let world = try await AccessWorld.make()
        let su = try await world.db.superuserConnection()
        // The old placement of the tone mark, as some registers still write it.
        try await su.query(
            """
            INSERT INTO chitieu.admin_unit (province_id, level, code, name, type_label, parent_id, valid_from)
            VALUES (\(world.a.id), 'commune', '99991', 'Xã Thuỷ Hoà', 'Xã', \(world.unitsA.district), '2021-01-01'),
                   (\(world.a.id), 'commune', '99992', 'Xã Hòa Cũ', 'Xã', \(world.unitsA.district), '2021-01-01')
            """)
        try await su.query("UPDATE chitieu.admin_unit SET valid_to = '2024-12-31' WHERE province_id = \(world.a.id) AND code = '99992'")
        await su.close()
        try await withLiveAPI(world) { api in
            let province = try await api.login("tinh10")
            let district = try await api.login("huyen10")
            let other = try await api.login("tinh15")
            func names(_ query: String, _ token: String) async throws -> [String] {
                let response = try await api.call(.get, "/v1/units?\(query)&limit=1000", token: token)
                #expect(response.status == .ok, "\(query): \(response.text)")
                return response.items.compactMap { $0["name"] as? String }
            }

            let hoa = try await names("q=hoa", province)
            for name in ["Xã Vạn Hòa", "Xã Xuân Hòa", "Xã Hòa Mạc", "Xã Mường Hoa", "Xã Thuỷ Hoà"] {
                #expect(hoa.contains(name), "q=hoa misses \(name): \(hoa)")
            }
            #expect(!hoa.contains("Xã Hòa Cũ"), "a unit that no longer exists is not found")
            // Both placements, precomposed or decomposed, in capitals: the same units.
            for query in ["q=Ho%C3%A0", "q=H%C3%B2a", "q=HOA", "q=ho%CC%80a", "q=%20hoa%20"] {
                #expect(try await names(query, province) == hoa, "\(query)")
            }
            let thuy = try await names("q=th%E1%BB%A7y", province)   // thủy
            #expect(thuy.contains("Xã Sơn Thủy") && thuy.contains("Xã Thuỷ Hoà"), "\(thuy)")
            #expect(try await names("q=thu%E1%BB%B7", province) == thuy)   // thuỷ
            #expect(try await names("q=THUY", province) == thuy)
            let dong = try await names("q=%C4%91%E1%BB%93ng", province)   // đồng
            #expect(dong.contains("Xã Đồng Tuyển"))
            #expect(try await names("q=dong", province) == dong)
            // Vietnamese order, names exactly as stored.
            let sorted = try await world.app.withTenant(world.a.id) { tx in
                try await tx.query(
                    "SELECT name FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND name = ANY(\(hoa)) ORDER BY name, code"
                ).map { try $0.decode(String.self, at: 0) }
            }
            #expect(hoa == sorted)
            let communes = try await names("q=hoa&level=commune", province)
            #expect(!communes.isEmpty && communes.allSatisfy { hoa.contains($0) && !$0.hasPrefix("Huyện") })
            #expect(try await names("q=hoa&level=province", province).isEmpty)

            // The district sees its subtree only; another province sees none of Lào Cai's.
            let inDistrict = try await names("q=hoa", district)
            #expect(inDistrict.contains("Xã Vạn Hòa") && inDistrict.contains("Xã Thuỷ Hoà"))
            #expect(!inDistrict.contains("Xã Xuân Hòa") && !inDistrict.contains("Xã Hòa Mạc"))
            let elsewhere = try await names("q=hoa", other)
            #expect(elsewhere.contains("Xã Khánh Hòa") && elsewhere.contains("Xã Hòa Cuông"))
            #expect(Set(elsewhere).isDisjoint(with: ["Xã Vạn Hòa", "Xã Xuân Hòa", "Xã Thuỷ Hoà"]))

            // Pages: the cursor goes through every unit once, in order.
            let all = try await api.call(.get, "/v1/units?q=xa&limit=1000", token: province).items.compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(all.count > 100)
            var paged: [Int64] = []
            var cursor: String?
            repeat {
                let response = try await api.call(.get, "/v1/units?q=xa&limit=40" + (cursor.map { "&cursor=\($0)" } ?? ""), token: province)
                #expect(response.status == .ok)
                paged += response.items.compactMap { ($0["id"] as? NSNumber)?.int64Value }
                cursor = response.json["next_cursor"] as? String
            } while cursor != nil && paged.count <= all.count
            #expect(paged == all)
            // Without q: the top of the scope, as before.
            let roots = try await api.call(.get, "/v1/units", token: district)
            #expect(roots.items.map { ($0["id"] as? NSNumber)?.int64Value } == [world.unitsA.district] && roots.json["next_cursor"] is NSNull)

            // Bad input: 422 naming the parameter; no token: 401.
            for (query, field) in [
                ("q=", "q"), ("q=%CC%80", "q"), ("q=hoa&limit=0", "limit"), ("q=hoa&limit=x", "limit"), ("q=hoa&cursor=abc", "cursor"),
                ("q=hoa&cursor=\(world.unitsB.commune)", "cursor"), ("q=hoa&level=thon", "level"),
                ("q=" + String(repeating: "a", count: 300), "q"),
            ] {
                let response = try await api.call(.get, "/v1/units?\(query)", token: province)
                #expect(response.status == .unprocessableContent, "\(query): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(query): \(response.text)")
            }
            #expect(try await api.call(.get, "/v1/units?q=hoa").status == .unauthorized)
        }
        await world.shutdown()
    }
}

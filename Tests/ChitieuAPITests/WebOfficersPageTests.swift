import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Cán bộ (`/can-bo`) over HTTP: who manages whom, an officer created with a password to hand
/// over that signs in, roles and tokens, and the refusals of the store.
@Suite("The officers page")
struct WebOfficersPageTests {
    /// The secret shown once on a page.
    static func secret(_ html: String) -> String? {
        guard let start = html.range(of: "<span class=\"secret\">") else { return nil }
        let rest = html[start.upperBound...]
        return rest.firstIndex(of: "<").map { String(rest[..<$0]) }
    }

    static func accountID(_ world: AccessWorld, _ username: String, in p: Province) async throws -> String {
        let (account, _) = try await world.accounts.show(province: p.id, username: username, caller: .command("test"))
        return account.id.uuidString.lowercased()
    }

    @Test func eachOfficerManagesOnlyTheAccountsThePolicyLetsThem() async throws {
        try await withWebWorld { web, http in
            let world = web.world
            let other = try await Self.accountID(world, "canbo.yenbai", in: world.b)
            let province = try await WebClient.signedIn(http, "canbo.tinh")
            let all = try await province.request(.get, "/can-bo")
            #expect(all.status == .ok)
            #expect(all.text.contains("canbo.huyen") && all.text.contains("canbo.xa"))
            #expect(!all.text.contains("canbo.yenbai"))
            #expect(try await province.request(.get, "/can-bo/\(other)").status == .notFound)
            #expect(try await province.request(.get, "/can-bo/khong-phai-ma").status == .notFound)
            #expect(try await province.post("/can-bo/\(other)/mat-khau", []).status == .notFound)

            let district = try await WebClient.signedIn(http, "canbo.huyen")
            let mine = try await district.request(.get, "/can-bo")
            #expect(mine.status == .ok && mine.text.contains("canbo.xa") && !mine.text.contains("canbo.tinh"))
            #expect(!mine.text.contains("value=\"province\""), "a district officer is not offered the province role")
            let above = try await Self.accountID(world, "canbo.tinh", in: world.a)
            // The province's officer belongs to the province, above the district's scope.
            #expect(try await district.request(.get, "/can-bo/\(above)").status == .notFound)

            let commune = try await WebClient.signedIn(http, "canbo.xa")
            #expect(try await commune.request(.get, "/can-bo").status == .forbidden)
            let made = try await commune.post("/can-bo", [("ten_dang_nhap", "xa.khac"), ("ho_ten", "Lò Văn A"), ("don_vi", String(world.unitsA.commune)), ("vai_tro", "viewer")])
            #expect(made.status == .forbidden)
            #expect((try? await world.accounts.show(province: world.a.id, username: "xa.khac", caller: .command("test"))) == nil)
        }
    }

    @Test func anOfficerIsCreatedWithAPasswordShownOnceAndSignsInWithIt() async throws {
        try await withWebWorld { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let district = try await WebClient.signedIn(http, "canbo.huyen", at: "/can-bo")
            let made = try await district.post(
                "/can-bo", [("ten_dang_nhap", "lo.thi.hoa"), ("ho_ten", "Lò Thị Hoà"), ("don_vi", String(u.commune)), ("vai_tro", "commune")])
            #expect(made.status == .ok, "\(made.text)")
            let password = try #require(Self.secret(made.text))
            #expect(made.text.contains("chỉ hiện một lần") && made.text.contains("Cán bộ xã"))
            let id = try await Self.accountID(world, "lo.thi.hoa", in: world.a)
            #expect(!(try await district.request(.get, "/can-bo/\(id)").text.contains(password)), "the password is shown once")

            let officer = WebClient(http)
            let signedIn = try await officer.signIn("lo.thi.hoa", password: password)
            #expect(signedIn.status == .seeOther && signedIn.location == "/tong-quan", "\(signedIn.text)")

            // A district officer gives commune roles, never a province one; the same name twice is refused.
            let above = try await district.post("/can-bo/\(id)/quyen", [("vai_tro", "province"), ("don_vi", String(u.district))])
            #expect(above.status == .forbidden)
            let viewer = try await district.post("/can-bo/\(id)/quyen", [("vai_tro", "viewer"), ("don_vi", String(u.district))])
            #expect(viewer.status == .seeOther)
            let (_, grants) = try await world.accounts.show(province: world.a.id, username: "lo.thi.hoa", caller: .command("test"))
            #expect(grants.map(\.role).sorted() == [.viewer, .commune])
            let again = try await district.post("/can-bo", [("ten_dang_nhap", "lo.thi.hoa"), ("ho_ten", "Khác"), ("don_vi", String(u.commune)), ("vai_tro", "commune")])
            #expect(again.status == .unprocessableContent && again.text.contains("đã được dùng"), "\(again.text)")
        }
    }

    @Test func badInputIs422AndAPostWithoutItsTokenChangesNothing() async throws {
        try await withWebWorld { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let province = try await WebClient.signedIn(http, "canbo.tinh", at: "/can-bo")
            let bad = try await province.post("/can-bo", [("ten_dang_nhap", "Ai Đó!"), ("ho_ten", "Ai Đó"), ("don_vi", String(u.commune)), ("vai_tro", "commune")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("không hợp lệ: cần 2 đến 63 ký tự"), "\(bad.text)")
            #expect(bad.text.contains("value=\"Ai Đó\""), "what was typed is kept")
            let level = try await province.post("/can-bo", [("ten_dang_nhap", "sai.cap"), ("ho_ten", "Sai Cấp"), ("don_vi", String(u.commune)), ("vai_tro", "district")])
            #expect(level.status == .unprocessableContent)
            #expect(level.text.contains("Vai trò cán bộ huyện được giao ở đơn vị cấp"), "\(level.text)")
            #expect((try? await world.accounts.show(province: world.a.id, username: "sai.cap", caller: .command("test"))) == nil, "neither the account nor its role")

            let forged = try await province.request(.post, "/can-bo", form: [("ten_dang_nhap", "gia.mao"), ("ho_ten", "Giả"), ("don_vi", String(u.commune)), ("vai_tro", "commune")])
            #expect(forged.status == .forbidden)
            #expect((try? await world.accounts.show(province: world.a.id, username: "gia.mao", caller: .command("test"))) == nil)
        }
    }

    @Test func passwordsAreResetAccountsDisabledAndTokensIssuedAndRevoked() async throws {
        try await withWebWorld { web, http in
            let world = web.world
            let id = try await Self.accountID(world, "canbo.xa", in: world.a)
            let province = try await WebClient.signedIn(http, "canbo.tinh", at: "/can-bo/\(id)")
            let reset = try await province.post("/can-bo/\(id)/mat-khau", [])
            let password = try #require(Self.secret(reset.text))
            #expect(try await WebClient(http).signIn("canbo.xa").status != .seeOther, "the old password no longer works")
            #expect(try await WebClient(http).signIn("canbo.xa", password: password).status == .seeOther)

            let issued = try await province.post("/can-bo/\(id)/ma-truy-cap", [("ten_ma", "Phần mềm thống kê"), ("so_ngay", "30")])
            let token = try #require(Self.secret(issued.text))
            let api = APIClient(client: http)
            #expect(try await api.call(.get, "/v1/sessions/current", token: token).status == .ok)
            let tokens = try await world.app.withTenant(world.a.id) { tx in
                try await tx.query("SELECT token_id FROM chitieu.api_token WHERE province_id = \(world.a.id) AND name = 'Phần mềm thống kê'")
                    .map { try $0.decode(UUID.self, at: 0).uuidString.lowercased() }
            }
            let badDays = try await province.post("/can-bo/\(id)/ma-truy-cap", [("ten_ma", "x"), ("so_ngay", "0")])
            #expect(badDays.status == .unprocessableContent && badDays.text.contains("Số ngày hiệu lực phải là số nguyên từ 1 đến 3.650"))
            #expect(try await province.post("/can-bo/\(id)/ma-truy-cap/\(tokens[0])/thu-hoi", []).status == .seeOther)
            #expect(try await api.call(.get, "/v1/sessions/current", token: token).status == .unauthorized)

            #expect(try await province.post("/can-bo/\(id)/vo-hieu", []).status == .seeOther)
            #expect(try await WebClient(http).signIn("canbo.xa", password: password).status != .seeOther)
            #expect(try await province.post("/can-bo/\(id)/kich-hoat", []).status == .seeOther)
            #expect(try await WebClient(http).signIn("canbo.xa", password: password).status == .seeOther)
        }
    }
}

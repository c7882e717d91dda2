import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Chỉ tiêu (`/chi-tieu`) over HTTP: who sees which forms, setting and locking cells, the
/// allocation's job page, the province's setting, and the store's refusals beside the fields.
@Suite("The targets page")
struct WebPlanningPageTests {
    /// The page's selection as a query string, and the same as a form's hidden fields.
    static func selection(_ world: AccessWorld, unit: Int64) -> (query: String, fields: [(String, String)]) {
        let indicator = world.indicators[0]
        return ("phase=2021-2025&indicator=\(indicator)&unit=\(unit)", [("phase", "2021-2025"), ("indicator", String(indicator)), ("unit", String(unit))])
    }

    /// The stored cell of DA8-01 at a unit (nil year: the phase's).
    static func cell(_ world: AccessWorld, unit: Int64, year: Int?) async throws -> (value: Int, locked: Bool, origin: String)? {
        let su = try await world.db.superuserConnection()
        defer { Task { await su.close() } }
        let rows = try await su.query(
            """
            SELECT value, locked, origin FROM chitieu.target t JOIN chitieu.phase p USING (province_id, phase_id)
            WHERE t.province_id = \(world.a.id) AND t.indicator_id = \(world.indicators[0]) AND t.unit_id = \(unit) AND p.code = '2021-2025'
              AND t.year IS NOT DISTINCT FROM \(year.map { Int16($0) })
            """)
        return try rows.first.map { (try $0.decode(Int.self, at: 0), try $0.decode(Bool.self, at: 1), try $0.decode(String.self, at: 2)) }
    }

    @Test func eachRoleSeesTheSheetAndOnlyTheFormsThePolicyAllows() async throws {
        try await withWebWorld { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let province = try await WebClient.signedIn(http, "canbo.tinh")
            let sheet = try await province.request(.get, "/chi-tieu?phase=2021-2025")
            #expect(sheet.status == .ok)
            #expect(sheet.text.contains("424") && sheet.text.contains(">giao<") && sheet.text.contains(">phân bổ<"), "\(sheet.text)")
            for form in ["/chi-tieu/dat", "/chi-tieu/khoa", "/chi-tieu/cach-phan-bo", "/chi-tieu/phan-bo", "/chi-tieu/cai-dat"] {
                #expect(sheet.text.contains("action=\"\(form)\""), "the province officer has \(form)")
            }
            #expect(sheet.text.contains("Cán bộ huyện phân bổ cho xã"))
            #expect(sheet.text.contains("href=\"/chi-tieu\"") && sheet.text.contains("href=\"/can-bo\""))

            let district = try await WebClient.signedIn(http, "canbo.huyen")
            let own = try await district.request(.get, "/chi-tieu")
            #expect(own.status == .ok)
            #expect(!own.text.contains("action=\"/chi-tieu/dat\"") && !own.text.contains("action=\"/chi-tieu/phan-bo\""), "the province plans every level")
            #expect(try await district.request(.get, "/chi-tieu?\(Self.selection(world, unit: u.otherDistrict).query)").status == .notFound)
            #expect(try await district.request(.get, "/chi-tieu?\(Self.selection(world, unit: u.province).query)").status == .notFound)

            let commune = try await WebClient.signedIn(http, "canbo.xa")
            let read = try await commune.request(.get, "/chi-tieu")
            #expect(read.status == .ok && !read.text.contains("method=\"post\" action=\"/chi-tieu/"))
            #expect(!read.text.contains("href=\"/can-bo\""), "no Cán bộ link for a commune officer")
            // Another province's unit, and a unit id that is no number.
            #expect(try await province.request(.get, "/chi-tieu?\(Self.selection(world, unit: world.unitsB.province).query)").status == .notFound)
            #expect(try await province.request(.get, "/chi-tieu?unit=abc").status == .notFound)
        }
    }

    @Test func aProvinceOfficerLocksACellAllocatesAndSeesTheNewSheet() async throws {
        try await withWebWorld(workers: true) { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let here = Self.selection(world, unit: u.province)
            let browser = try await WebClient.signedIn(http, "canbo.tinh", at: "/chi-tieu?\(here.query)")
            let set = try await browser.post("/chi-tieu/dat", here.fields + [("don_vi", String(u.district)), ("nam", "2023"), ("gia_tri", "7"), ("khoa", "1")])
            #expect(set.status == .seeOther, "\(set.text)")
            #expect(try await Self.cell(world, unit: u.district, year: 2023)?.locked == true)
            let asked = try await browser.post("/chi-tieu/phan-bo", here.fields)
            #expect(asked.status == .seeOther)
            let jobPage = try #require(asked.location)
            #expect(jobPage.hasPrefix("/chi-tieu/phan-bo/"))
            var done: String?
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
                let page = try await browser.request(.get, jobPage)
                if page.status == .ok { #expect(page.text.contains("http-equiv=\"refresh\"")) }
                done = page.status == .seeOther ? page.location : nil
                return done != nil
            }
            let back = try #require(done)
            #expect(back.contains("da=phan-bo"))
            // No such job, a job id that is no number, and a district officer (jobs are the province's): the error pages.
            #expect(try await browser.request(.get, "/chi-tieu/phan-bo/987654321").status == .notFound)
            #expect(try await browser.request(.get, "/chi-tieu/phan-bo/abc").status == .notFound)
            let district = try await WebClient.signedIn(http, "canbo.huyen", at: "/chi-tieu")
            #expect(try await district.request(.get, jobPage).status == .forbidden)
            let sheet = try await browser.request(.get, back)
            #expect(sheet.text.contains("Đã phân bổ xong"))
            #expect(sheet.text.contains("7<span class=\"origin overridden\">đặt tay</span><span class=\"origin locked\">khoá</span>"), "\(sheet.text)")

            // Unlock it, its value kept.
            #expect(try await browser.post("/chi-tieu/khoa", here.fields + [("don_vi", String(u.district)), ("nam", "2023"), ("khoa", "0")]).status == .seeOther)
            let unlocked = try await Self.cell(world, unit: u.district, year: 2023)
            #expect(unlocked?.locked == false && unlocked?.value == 7)

            // A locked cell larger than the province's whole target: the job is refused, naming the numbers.
            try await browser.post("/chi-tieu/dat", here.fields + [("don_vi", String(u.district)), ("nam", ""), ("gia_tri", "5000"), ("khoa", "1")])
            let refused = try #require(try await browser.post("/chi-tieu/phan-bo", here.fields).location)
            var text = ""
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(300)) {
                text = try await browser.request(.get, refused).text
                return text.contains("Không phân bổ được")
            }
            #expect(text.contains("Không phân bổ được") && text.contains("5000"), "\(text)")
            #expect(!text.contains("http-equiv=\"refresh\""))
        }
    }

    @Test func badInputIs422WithTheFieldsMessageAndAPostWithoutItsTokenChangesNothing() async throws {
        try await withWebWorld { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let here = Self.selection(world, unit: u.province)
            let browser = try await WebClient.signedIn(http, "canbo.tinh", at: "/chi-tieu?\(here.query)")
            let before = try await Self.cell(world, unit: u.district, year: nil)
            let words = try await browser.post("/chi-tieu/dat", here.fields + [("don_vi", String(u.district)), ("gia_tri", "nhiều")])
            #expect(words.status == .unprocessableContent)
            #expect(words.text.contains("Giá trị “nhiều” không phải là một số nguyên"))
            #expect(words.text.contains("aria-invalid=\"true\" aria-describedby=\"dat-gia-tri-loi\""))
            let negative = try await browser.post("/chi-tieu/dat", here.fields + [("don_vi", String(u.district)), ("gia_tri", "-5")])
            #expect(negative.status == .unprocessableContent)
            #expect(negative.text.contains("Giá trị là -5, một số âm"), "\(negative.text)")
            let weights = try await browser.post("/chi-tieu/cach-phan-bo", here.fields + [("phuong_phap", "weighted")])
            #expect(weights.status == .unprocessableContent)
            #expect(weights.text.contains("Trọng số không hợp lệ"), "\(weights.text)")
            let years = try await browser.post("/chi-tieu/cach-phan-bo", here.fields + [("phuong_phap", "equal"), ("ty_trong_nam", "1,2")])
            #expect(years.status == .unprocessableContent)
            #expect(years.text.contains("Tỷ trọng các năm không hợp lệ"), "\(years.text)")
            #expect(try await Self.cell(world, unit: u.district, year: nil)?.value == before?.value)

            let forged = try await browser.request(
                .post, "/chi-tieu/dat", form: here.fields + [("don_vi", String(u.district)), ("gia_tri", "9"), ("khoa", "1")])
            #expect(forged.status == .forbidden)
            #expect(try await Self.cell(world, unit: u.district, year: nil)?.value == before?.value)
        }
    }

    @Test func districtOfficersPlanTheirCommunesOnlyWhenTheProvinceSaysSo() async throws {
        try await withWebWorld { web, http in
            let (world, u) = (web.world, web.world.unitsA)
            let there = Self.selection(world, unit: u.district)
            let district = try await WebClient.signedIn(http, "canbo.huyen", at: "/chi-tieu")
            let refused = try await district.post("/chi-tieu/dat", there.fields + [("don_vi", String(u.commune)), ("gia_tri", "3")])
            #expect(refused.status == .forbidden)
            // Only the province changes the setting.
            #expect(try await district.post("/chi-tieu/cai-dat", there.fields + [("huyen_phan_bo", "1")]).status == .forbidden)

            let province = try await WebClient.signedIn(http, "canbo.tinh", at: "/chi-tieu")
            #expect(try await province.post("/chi-tieu/cai-dat", Self.selection(world, unit: u.province).fields + [("huyen_phan_bo", "1")]).status == .seeOther)
            let on = try await province.request(.get, "/chi-tieu?da=cai-dat")
            #expect(on.text.contains("id=\"huyen-phan-bo\" name=\"huyen_phan_bo\" value=\"1\" checked"))

            let page = try await district.request(.get, "/chi-tieu?\(there.query)")
            #expect(page.text.contains("action=\"/chi-tieu/dat\"") && page.text.contains("action=\"/chi-tieu/cach-phan-bo\""))
            #expect(!page.text.contains("action=\"/chi-tieu/phan-bo\""), "the allocation stays the province's")
            let set = try await district.post("/chi-tieu/dat", there.fields + [("don_vi", String(u.commune)), ("gia_tri", "3")])
            #expect(set.status == .seeOther, "\(set.text)")
            #expect(try await Self.cell(world, unit: u.commune, year: nil)?.value == 3)
            #expect(try await district.post("/chi-tieu/phan-bo", there.fields).status == .forbidden)
        }
    }
}

import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Problems in English by default, in Vietnamese on request")
struct ProblemLanguageTests {
    @Test func aRefusedFieldIsNamedInTheLanguageTheClientAsksFor() async throws {
        try await withLiveAPIWorld { world, api in
            let province = try await api.login("tinh10")
            let body: [String: Any] = ["indicator_id": world.indicators[0], "phase": "2021-2025", "year": 2031, "value": 5]

            let english = try await api.call(.put, "/v1/targets", token: province, json: body)
            #expect(english.status == .unprocessableContent, "\(english.text)")
            #expect(english.headers[.contentType] == "application/problem+json")
            #expect(english.json["code"] as? String == "invalid" && english.json["type"] as? String == "/problems/invalid-input")
            #expect(english.json["title"] as? String == "Invalid input")
            #expect(english.json["detail"] as? String == "year: 2031 is outside the phase 2021-2025")
            let englishField = (english.json["errors"] as? [[String: Any]])?.first
            #expect(englishField?["field"] as? String == "year" && englishField?["detail"] as? String == "2031 is outside the phase 2021-2025")

            let vietnamese = try await api.call(
                .put, "/v1/targets", token: province, json: body, headers: [.acceptLanguage: "vi-VN,vi;q=0.9,en;q=0.5"])
            #expect(vietnamese.status == .unprocessableContent, "\(vietnamese.text)")
            #expect(vietnamese.json["code"] as? String == "invalid")
            #expect(vietnamese.json["title"] as? String == "Dữ liệu không hợp lệ")
            #expect(vietnamese.json["detail"] as? String == "Năm 2031 nằm ngoài giai đoạn 2021-2025.")
            let vietnameseField = (vietnamese.json["errors"] as? [[String: Any]])?.first
            #expect(vietnameseField?["field"] as? String == "year" && vietnameseField?["detail"] as? String == "Năm 2031 nằm ngoài giai đoạn 2021-2025.")

            let negative = try await api.call(.put, "/v1/targets", token: province, json: ["indicator_id": world.indicators[0], "phase": "2021-2025", "value": -1],
                                              headers: [.acceptLanguage: "vi"])
            #expect(negative.status == .unprocessableContent)
            #expect(negative.json["detail"] as? String == "Giá trị phải là số nguyên từ 0 đến 1.000.000.000.", "\(negative.text)")
        }
    }

    @Test func theStatusComesFromTheCode() async throws {
        try await withLiveAPIWorld { world, api in
            let missing = try await api.call(.get, "/v1/results/\(UUID().uuidString)", headers: [.acceptLanguage: "vi"])
            #expect(missing.status == .unauthorized && missing.json["code"] as? String == "unauthenticated")
            #expect(missing.headers[.wwwAuthenticate] != nil && missing.json["title"] as? String == "Chưa đăng nhập")
            let province = try await api.call(.post, "/v1/sessions", json: ["username": "tinh10", "password": "sai mật khẩu rồi"])
            #expect(province.status == .unauthorized && province.json["code"] as? String == "unauthenticated")
            let token = try await api.login("tinh10")
            let unknown = try await api.call(.get, "/v1/results/\(UUID().uuidString)", token: token, headers: [.acceptLanguage: "vi"])
            #expect(unknown.status == .notFound && unknown.json["code"] as? String == "not_found", "\(unknown.text)")
            #expect(unknown.json["detail"] as? String == "Không tìm thấy kết quả.")
        }
    }
}

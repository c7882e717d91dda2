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

@Suite("Imports over HTTP")
struct ImportsAPITests {
    static let boundary = "----chitieu-import-test"

    /// A multipart/form-data body of text fields and a file.
    static func form(_ fields: [String: String], file: Data?, filename: String = "ket-qua.xlsx") -> (Data, HTTPFields) {
        var body = Data()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if let file {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n".utf8))
            body.append(Data("Content-Type: application/octet-stream\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, [.contentType: "multipart/form-data; boundary=\(boundary)"])
    }

    @Test func templateDryRunRefusalAndImportOverHTTP() async throws {
        try await withLiveAPIWorld { world, api in
            let commune = try await api.login("xa10")
            let template = try await api.call(.get, "/v1/imports/template?kind=results&period=2026-Q1&level=commune", token: commune)
            #expect(template.status == .ok, "\(template.text)")
            #expect(template.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(template.headers[.contentDisposition] == "attachment; filename=\"mau-ket-qua-2026-Q1-commune.xlsx\"")
            let csv = try await api.call(.get, "/v1/imports/template?kind=results&period=2026-Q1&format=csv", token: commune)
            #expect(csv.status == .ok && csv.text.contains("Mã đơn vị [unit_code]"))
            // xa10 sees its own commune only: a header and one row for DA8-01.
            let lines = csv.text.split(whereSeparator: \.isNewline)
            #expect(lines.count == 2, "\(csv.text)")
            let code = String(lines[1].split(separator: ",")[0])

            let bad = "Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Kỳ báo cáo [period],Giá trị [value]\n\(code),DA8-01,2026-Q1,abc\n"
            let (badBody, headers) = Self.form(["kind": "results", "dry_run": "true"], file: Data(bad.utf8), filename: "a.csv")
            var vietnamese = headers
            vietnamese[.acceptLanguage] = "vi"
            let refused = try await api.call(.post, "/v1/imports", token: commune, body: badBody, headers: vietnamese)
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            #expect(refused.headers[.contentType] == "application/problem+json")
            let errors = try #require(refused.json["errors"] as? [[String: Any]])
            #expect(errors.count == 1 && errors[0]["row"] as? Int == 2 && errors[0]["column"] as? String == "D" && errors[0]["field"] as? String == "value")
            #expect((errors[0]["detail"] as? String)?.hasPrefix("Dòng 2, cột D: Giá trị") == true)

            let good = "Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Kỳ báo cáo [period],Giá trị [value]\n\(code),DA8-01,2026-Q1,4\n"
            let (dryBody, _) = Self.form(["kind": "results", "dry_run": "true"], file: Data(good.utf8), filename: "a.csv")
            let dry = try await api.call(.post, "/v1/imports", token: commune, body: dryBody, headers: headers)
            #expect(dry.status == .ok && dry.json["recorded"] as? Int == 1 && dry.json["dry_run"] as? Bool == true, "\(dry.text)")
            let (body, _) = Self.form(["kind": "results", "state": "submitted"], file: Data(good.utf8), filename: "a.csv")
            let done = try await api.call(.post, "/v1/imports", token: commune, body: body, headers: headers)
            #expect(done.status == .ok && done.json["recorded"] as? Int == 1, "\(done.text)")
            let again = try await api.call(.post, "/v1/imports", token: commune, body: body, headers: headers)
            #expect(again.status == .ok && again.json["recorded"] as? Int == 0 && again.json["unchanged"] as? Int == 1)
            let results = try await api.call(.get, "/v1/results", token: commune)
            #expect(results.items.count == 1 && results.items.first?["state"] as? String == "submitted")
        }
    }

    @Test func uploadsAreLimitedAndMustBeFormsOfAWorkbook() async throws {
        try await withLiveAPIWorld { world, api in
            let token = try await api.login("tinh10")
            let json = try await api.call(.post, "/v1/imports", token: token, json: ["kind": "results"])
            #expect(json.status == .unsupportedMediaType)
            let (noFile, headers) = Self.form(["kind": "results"], file: nil)
            let missing = try await api.call(.post, "/v1/imports", token: token, body: noFile, headers: headers)
            #expect(missing.status == .unprocessableContent && missing.text.contains("file"))
            let (picture, _) = Self.form(["kind": "results"], file: Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0xFF, 0xFE]), filename: "anh.png")
            let notAWorkbook = try await api.call(.post, "/v1/imports", token: token, body: picture, headers: headers)
            #expect(notAWorkbook.status == .unprocessableContent && notAWorkbook.text.contains("xlsx"), "\(notAWorkbook.text)")
            let (columns, _) = Self.form(["kind": "results"], file: Data("a,b\n1,2\n".utf8), filename: "a.csv")
            let wrongColumns = try await api.call(.post, "/v1/imports", token: token, body: columns, headers: headers)
            #expect(wrongColumns.status == .unprocessableContent && wrongColumns.text.contains("unit_code"), "\(wrongColumns.text)")
            let (huge, _) = Self.form(["kind": "results"], file: Data(repeating: 0x41, count: 11 << 20), filename: "a.csv")
            let tooLarge = try await api.call(.post, "/v1/imports", token: token, body: huge, headers: headers)
            #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.text.prefix(300))")
            let (targets, _) = Self.form(["kind": "targets"], file: Data("a,b\n".utf8), filename: "a.csv")
            let noPhase = try await api.call(.post, "/v1/imports", token: token, body: targets, headers: headers)
            #expect(noPhase.status == .unprocessableContent && noPhase.text.contains("phase"))
            let noPeriod = try await api.call(.get, "/v1/imports/template?kind=results", token: token)
            #expect(noPeriod.status == .unprocessableContent)
        }
    }
}

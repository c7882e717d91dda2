import ChitieuDomain
@testable import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// A JSON value as it was written (booleans apart from numbers, integers apart from fractions):
/// the server's own reading of a request body.
typealias JSON = JSONValue

extension JSONValue {
    static func parse(_ text: String) throws -> JSON { try JSONDecoder().decode(JSON.self, from: Data(text.utf8)) }

    subscript(_ key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var object: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
}

/// Checks JSON values against the subset of JSON Schema the document uses: `$ref` to
/// components, `type` (a name or a list of names, for nullable), `properties`, `required`,
/// `additionalProperties` (false or a schema), `items`, `enum`, and the formats date-time,
/// date and uuid.
struct SchemaValidator {
    let schemas: [String: JSON]

    func errors(_ value: JSON, _ schema: JSON, at path: String = "$") -> [String] {
        guard let rules = schema.object else { return ["\(path): the schema is not an object"] }
        if let reference = rules["$ref"]?.string {
            let name = reference.replacingOccurrences(of: "#/components/schemas/", with: "")
            guard let target = schemas[name] else { return ["\(path): unknown $ref \(reference)"] }
            return errors(value, target, at: path)
        }
        var found: [String] = []
        if let type = rules["type"] {
            let allowed = type.array?.compactMap(\.string) ?? [type.string ?? ""]
            guard allowed.contains(where: { matches(value, $0) }) else { return ["\(path): \(value) is not of type \(allowed)"] }
        }
        if let options = rules["enum"]?.array, !options.contains(value) { found.append("\(path): \(value) is not one of \(options)") }
        if let format = rules["format"]?.string, case .string(let text) = value, !valid(text, format: format) {
            found.append("\(path): '\(text)' is not a \(format)")
        }
        if case .object(let members) = value {
            let properties = rules["properties"]?.object ?? [:]
            for name in rules["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
                found.append("\(path): the member \(name) is missing")
            }
            for (name, member) in members {
                if let property = properties[name] {
                    found += errors(member, property, at: "\(path).\(name)")
                } else if rules["additionalProperties"] == .bool(false) {
                    found.append("\(path): the member \(name) is not documented")
                } else if let extra = rules["additionalProperties"], extra.object != nil {
                    found += errors(member, extra, at: "\(path).\(name)")
                }
            }
        }
        if case .array(let elements) = value, let items = rules["items"] {
            for (i, element) in elements.enumerated() { found += errors(element, items, at: "\(path)[\(i)]") }
        }
        return found
    }

    func matches(_ value: JSON, _ type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.integer, "integer"), (.integer, "number"), (.number, "number"), (.string, "string"),
             (.array, "array"), (.object, "object"):
            true
        default:
            false
        }
    }

    func valid(_ text: String, format: String) -> Bool {
        switch format {
        case "date-time":
            // RFC 3339: a date, a time, and an offset (Z or ±hh:mm).
            text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/) != nil
                && (try? Date(text, strategy: .iso8601)) != nil
        case "date":
            text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil
        case "uuid":
            UUID(uuidString: text) != nil
        default:
            true
        }
    }
}

/// The OpenAPI document, read from the server, and what the checks found.
final class Conformance {
    let document: JSON
    let validator: SchemaValidator
    var covered: Set<String> = []
    let api: APIClient

    init(api: APIClient) async throws {
        let response = try await api.call(.get, "/openapi.json")
        document = try JSON.parse(response.text)
        validator = SchemaValidator(schemas: document["components"]?["schemas"]?.object ?? [:])
        self.api = api
    }

    /// Every (METHOD, path template) the document describes.
    var operations: Set<String> {
        var out: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys { out.insert("\(method.uppercased()) \(path)") }
        }
        return out
    }

    /// Calls the API and checks the answer against the document: its status is documented for
    /// the operation, its media type is the documented one, and its body validates.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ template: String, _ uri: String, token: String? = nil, json: Any? = nil, body: Data? = nil,
        headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> APIResponse {
        let response = try await api.call(method, uri, token: token, json: json, body: body, headers: headers)
        let key = "\(method.rawValue) \(template)"
        covered.insert(key)
        guard let operation = document["paths"]?[template]?[method.rawValue.lowercased()] else {
            Issue.record("\(key) is not in the document", sourceLocation: sourceLocation)
            return response
        }
        if (200..<300).contains(response.status.code) {
            // What the server accepted, the document describes: the body's members and the query's parameters.
            if let json {
                if let schema = operation["requestBody"]?["content"]?["application/json"]?["schema"] {
                    let sent = try JSON.parse(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
                    let problems = validator.errors(sent, schema)
                    #expect(problems.isEmpty, "\(key) accepted a body the document does not describe: \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
                } else {
                    Issue.record("\(key) accepted a body the document does not describe", sourceLocation: sourceLocation)
                }
            }
            let parameters = Set((operation["parameters"]?.array ?? []).filter { $0["in"] == .string("query") }.compactMap { $0["name"]?.string })
            for name in URLComponents(string: uri)?.queryItems?.map(\.name) ?? [] where !parameters.contains(name) {
                Issue.record("\(key) accepted the query parameter \(name), which the document does not list", sourceLocation: sourceLocation)
            }
        }
        guard let documented = operation["responses"]?[String(response.status.code)] else {
            Issue.record("\(key) answered \(response.status.code), which the document does not list: \(response.text)", sourceLocation: sourceLocation)
            return response
        }
        guard let content = documented["content"]?.object else {
            #expect(response.text.isEmpty, "\(key) \(response.status.code) has an undocumented body", sourceLocation: sourceLocation)
            return response
        }
        let type = response.headers[.contentType] ?? ""
        guard let media = content[type], let schema = media["schema"] else {
            Issue.record("\(key) \(response.status.code) answered \(type), documented: \(content.keys.sorted())", sourceLocation: sourceLocation)
            return response
        }
        if !type.contains("json") {
            // Text (the metrics): a string schema, and a body.
            #expect(schema["type"]?.string == "string" && !response.text.isEmpty, "\(key) \(response.status.code) \(type)", sourceLocation: sourceLocation)
            return response
        }
        do {
            let problems = validator.errors(try JSON.parse(response.text), schema)
            #expect(problems.isEmpty, "\(key) \(response.status.code): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(key) \(response.status.code): the body is not JSON: \(response.text)", sourceLocation: sourceLocation)
        }
        return response
    }
}

@Suite("The OpenAPI document matches the routes and their answers")
struct OpenAPIConformanceTests {
    /// Routes registered on the router and operations of the document: the same set.
    @Test func theDocumentDescribesExactlyTheRoutesOfTheRouter() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "host=/nonexistent dbname=none"), logger: Logger(label: "test"))
        let router = ChitieuApplication.router(
            configuration: ServerConfiguration(), database: ChitieuDatabase(pool: pool),
            migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: Logger(label: "test"))
        // The officers' pages (HTML at `/`, docs/web.md) are not the API's.
        let api = router.routes.filter { route in
            let path = route.path.description
            return path.hasPrefix("/v1/") || ["/health", "/ready", "/metrics", "/openapi.json"].contains(path)
        }
        let routes = Set(api.map { "\($0.method.rawValue) \($0.path.description)" })
        let document = try JSON.parse(String(decoding: OpenAPIDocument.data, as: UTF8.self))
        var operations: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys { operations.insert("\(method.uppercased()) \(path)") }
        }
        #expect(routes.subtracting(operations).isEmpty, "routes the document leaves out: \(routes.subtracting(operations).sorted())")
        #expect(operations.subtracting(routes).isEmpty, "operations no route serves: \(operations.subtracting(routes).sorted())")
        #expect(routes.contains("GET /v1/jobs/{id}") && routes.contains("GET /openapi.json") && routes.contains("GET /health"))
        #expect(document["openapi"]?.string == "3.1.0")
        await pool.shutdown()
    }

    /// The validator itself refuses what it must: a test that cannot fail is no test.
    @Test func theValidatorRefusesUndocumentedMissingAndMistypedMembers() throws {
        let document = try JSON.parse(String(decoding: OpenAPIDocument.data, as: UTF8.self))
        let validator = SchemaValidator(schemas: document["components"]?["schemas"]?.object ?? [:])
        let unit = JSON.object(["$ref": .string("#/components/schemas/Unit")])
        let good = try JSON.parse(
            #"{"id": 1, "level": "commune", "code": "02665", "name": "Xã Vạn Hòa", "type_label": "Xã", "parent_id": 5, "valid_from": "2021-01-01", "valid_to": null}"#)
        #expect(validator.errors(good, unit).isEmpty)
        guard case .object(var members) = good else { return }
        members["extra"] = .integer(1)
        #expect(!validator.errors(.object(members), unit).isEmpty)
        members["extra"] = nil
        members["name"] = nil
        #expect(!validator.errors(.object(members), unit).isEmpty)
        members["name"] = .integer(3)
        #expect(!validator.errors(.object(members), unit).isEmpty)
        members["name"] = .string("Xã Vạn Hòa")
        members["level"] = .string("thôn")
        #expect(!validator.errors(.object(members), unit).isEmpty)
        members["level"] = .string("commune")
        members["valid_from"] = .string("01/01/2021")
        #expect(!validator.errors(.object(members), unit).isEmpty)
        let time = JSON.object(["type": .string("string"), "format": .string("date-time")])
        #expect(validator.errors(.string("2026-01-31T00:00:00+07:00"), time).isEmpty)
        #expect(!validator.errors(.string("2026-01-31T00:00:00"), time).isEmpty)
        #expect(!validator.errors(.bool(true), JSON.object(["type": .string("integer")])).isEmpty)
    }

    /// Every operation of the document, called over HTTP against the real database, in
    /// success and in error: each status is documented and each body validates.
    @Test func everyOperationAnswersAsDocumented() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        try await withLiveAPI(world) { api in
            let c = try await Conformance(api: api)
            let u = world.unitsA
            let indicator = world.indicators[0]
            let phase = "2021-2025"

            try await c.call(.get, "/health", "/health")
            try await c.call(.get, "/ready", "/ready")
            try await c.call(.get, "/openapi.json", "/openapi.json")
            try await c.call(.get, "/metrics", "/metrics")
            let login = try await c.call(.post, "/v1/sessions", "/v1/sessions", json: ["username": "tinh10", "password": testPassword])
            let province = try #require(login.json["token"] as? String)
            try await c.call(.post, "/v1/sessions", "/v1/sessions", json: ["username": "tinh10", "password": "sai mật khẩu rồi"])
            try await c.call(.post, "/v1/sessions", "/v1/sessions", body: Data("{".utf8))
            try await c.call(.post, "/v1/sessions", "/v1/sessions", json: ["username": "tinh10"])
            let district = try await api.login("huyen10")
            let commune = try await api.login("xa10")
            let other = try await api.login("tinh15")
            try await c.call(.get, "/v1/sessions/current", "/v1/sessions/current", token: province)
            try await c.call(.get, "/v1/sessions/current", "/v1/sessions/current")

            // Units.
            try await c.call(.get, "/v1/units", "/v1/units", token: district)
            try await c.call(.get, "/v1/units", "/v1/units?q=hoa&limit=2", token: province)
            try await c.call(.get, "/v1/units", "/v1/units?q=", token: province)
            try await c.call(.get, "/v1/units/{id}", "/v1/units/\(u.commune)", token: province)
            try await c.call(.get, "/v1/units/{id}", "/v1/units/\(world.unitsB.commune)", token: province)
            try await c.call(.get, "/v1/units/{id}/children", "/v1/units/\(u.district)/children", token: district)
            try await c.call(.get, "/v1/units/{id}/children", "/v1/units/\(u.province)/children", token: district)

            // Indicators.
            try await c.call(.get, "/v1/indicators", "/v1/indicators", token: commune)
            try await c.call(.get, "/v1/indicators/{id}", "/v1/indicators/\(indicator)", token: commune)
            try await c.call(.get, "/v1/indicators/{id}", "/v1/indicators/\(world.indicators[1])", token: commune)
            let suspend: [String: Any] = ["from": "2024-01-01", "reason": "Dừng theo chỉ đạo"]
            try await c.call(.post, "/v1/indicators/{id}/suspend", "/v1/indicators/\(indicator)/suspend", token: commune, json: suspend)
            try await c.call(.post, "/v1/indicators/{id}/suspend", "/v1/indicators/\(indicator)/suspend", token: province, json: ["from": "hôm qua", "reason": "x"])
            try await c.call(.post, "/v1/indicators/{id}/suspend", "/v1/indicators/\(indicator)/suspend", token: province, json: suspend)
            try await c.call(.post, "/v1/indicators/{id}/resume", "/v1/indicators/\(indicator)/resume", token: province)
            try await c.call(.post, "/v1/indicators/{id}/resume", "/v1/indicators/\(indicator)/resume", token: province)

            // Accounts and grants.
            try await c.call(.get, "/v1/accounts", "/v1/accounts", token: district)
            let created = try await c.call(
                .post, "/v1/accounts", "/v1/accounts", token: district,
                json: ["username": "xa10.moi", "display_name": "Lò Thị Hoà", "home_unit_id": u.commune, "password": "mật khẩu mới 2026"])
            let account = try #require(created.json["id"] as? String)
            try await c.call(.post, "/v1/accounts", "/v1/accounts", token: commune, json: ["username": "xa.khac", "display_name": "X", "home_unit_id": u.commune])
            try await c.call(.get, "/v1/accounts/{id}", "/v1/accounts/\(account)", token: district)
            try await c.call(.get, "/v1/accounts/{id}", "/v1/accounts/\(account)", token: other)
            let grant = try await c.call(.post, "/v1/accounts/{id}/grants", "/v1/accounts/\(account)/grants", token: district, json: ["role": "commune", "unit_id": u.commune])
            try await c.call(.post, "/v1/accounts/{id}/grants", "/v1/accounts/\(account)/grants", token: district, json: ["role": "district", "unit_id": u.district])
            try await c.call(.get, "/v1/accounts/{id}/tokens", "/v1/accounts/\(account)/tokens", token: district)
            let issued = try await c.call(.post, "/v1/accounts/{id}/tokens", "/v1/accounts/\(account)/tokens", token: district, json: ["name": "Thống kê", "expires_in_days": 30])
            try await c.call(.post, "/v1/accounts/{id}/tokens", "/v1/accounts/\(account)/tokens", token: district, json: ["expires_in_days": 0])
            try await c.call(.post, "/v1/accounts/{id}/tokens", "/v1/accounts/\(account)/tokens", token: other, json: [:])
            let issuedID = issued.json["id"] as? String ?? ""
            try await c.call(.delete, "/v1/tokens/{id}", "/v1/tokens/\(issuedID)", token: commune)
            try await c.call(.delete, "/v1/tokens/{id}", "/v1/tokens/\(issuedID)", token: district)
            try await c.call(.delete, "/v1/tokens/{id}", "/v1/tokens/\(issuedID)", token: other)
            try await c.call(.post, "/v1/accounts/{id}/password", "/v1/accounts/\(account)/password", token: district)
            try await c.call(.post, "/v1/accounts/{id}/password", "/v1/accounts/\(account)/password", token: other)
            try await c.call(.post, "/v1/accounts/{id}/disable", "/v1/accounts/\(account)/disable", token: district)
            try await c.call(.post, "/v1/accounts/{id}/enable", "/v1/accounts/\(account)/enable", token: district)
            try await c.call(.post, "/v1/accounts/{id}/enable", "/v1/accounts/\(account)/enable", token: commune)
            let grantID = try #require((grant.json["id"] as? NSNumber)?.int64Value)
            try await c.call(.delete, "/v1/grants/{id}", "/v1/grants/\(grantID)", token: district)
            try await c.call(.delete, "/v1/grants/{id}", "/v1/grants/\(grantID)", token: other)

            // Planning.
            try await c.call(.put, "/v1/targets", "/v1/targets", token: province, json: ["indicator_id": indicator, "phase": phase, "value": 424])
            let cell: [String: Any] = ["indicator_id": indicator, "phase": phase, "unit_id": u.district, "year": 2025, "value": 40, "locked": true]
            try await c.call(.put, "/v1/targets", "/v1/targets", token: province, json: cell)
            try await c.call(.put, "/v1/targets", "/v1/targets", token: province, json: cell.merging(["locked": NSNull()]) { $1 })
            try await c.call(.put, "/v1/targets", "/v1/targets", token: district, json: cell)
            try await c.call(.put, "/v1/targets", "/v1/targets", token: other, json: cell)
            try await c.call(.put, "/v1/targets", "/v1/targets", token: province, body: Data("nope".utf8))
            try await c.call(.put, "/v1/targets", "/v1/targets", token: province, body: Data("{}".utf8), headers: [.contentType: "text/plain"])
            try await c.call(.get, "/v1/targets", "/v1/targets?phase=\(phase)&limit=1", token: province)
            try await c.call(.get, "/v1/targets", "/v1/targets?phase=\(phase)&unit_id=\(world.unitsB.province)", token: province)
            try await c.call(.get, "/v1/targets", "/v1/targets", token: province)
            let rule: [String: Any] = ["indicator_id": indicator, "phase": phase, "method": "equal", "minimum": 1, "years": [1, 1, 1, 1, 1]]
            try await c.call(.put, "/v1/allocation-rules", "/v1/allocation-rules", token: province, json: rule)
            try await c.call(.put, "/v1/allocation-rules", "/v1/allocation-rules", token: province, json: ["indicator_id": indicator, "phase": phase, "method": "weighted", "weights": ["080": 1], "years": [1]])
            try await c.call(.put, "/v1/allocation-rules", "/v1/allocation-rules", token: commune, json: rule)
            try await c.call(.get, "/v1/allocation-rules", "/v1/allocation-rules?phase=\(phase)", token: district)
            try await c.call(.get, "/v1/allocation-rules", "/v1/allocation-rules?phase=9", token: district)
            let job = try await c.call(.post, "/v1/allocations", "/v1/allocations", token: province, json: ["phase": phase, "indicator_id": indicator])
            try await c.call(.post, "/v1/allocations", "/v1/allocations", token: district, json: ["phase": phase])
            try await c.call(.post, "/v1/allocations", "/v1/allocations", token: other, json: ["phase": phase, "indicator_id": indicator])
            try await c.call(.get, "/v1/jobs", "/v1/jobs?kind=allocate&limit=1", token: province)
            try await c.call(.get, "/v1/jobs", "/v1/jobs", token: commune)
            try await c.call(.get, "/v1/jobs", "/v1/jobs?state=later", token: province)
            let jobID = try #require((job.json["id"] as? NSNumber)?.int64Value)
            try await c.call(.get, "/v1/jobs/{id}", "/v1/jobs/\(jobID)", token: province)
            try await c.call(.get, "/v1/jobs/{id}", "/v1/jobs/\(jobID)", token: other)
            let plan: [String: Any] = ["number": "355/KH-UBND", "date": "2022-10-24", "issuer": "UBND tỉnh Lào Cai"]
            try await c.call(.put, "/v1/phases/{phase}/plan", "/v1/phases/\(phase)/plan", token: province, json: plan)
            try await c.call(.put, "/v1/phases/{phase}/plan", "/v1/phases/\(phase)/plan", token: district, json: plan)
            try await c.call(.put, "/v1/phases/{phase}/plan", "/v1/phases/\(phase)/plan", token: province, json: plan.merging(["date": "24/10/2022"]) { $1 })
            try await c.call(.get, "/v1/phases/{phase}", "/v1/phases/\(phase)", token: commune)
            try await c.call(.get, "/v1/phases/{phase}", "/v1/phases/2099-2103", token: commune)
            try await c.call(.get, "/v1/province/settings", "/v1/province/settings", token: commune)
            try await c.call(.put, "/v1/province/settings", "/v1/province/settings", token: district, json: ["district_allocation": true])
            try await c.call(.put, "/v1/province/settings", "/v1/province/settings", token: province, json: ["district_allocation": "có"])
            try await c.call(.put, "/v1/province/settings", "/v1/province/settings", token: province, json: ["district_allocation": false])

            // Results and progress.
            let report: [String: Any] = [
                "indicator_id": indicator, "unit_id": u.commune, "period_start": "2025-10-01", "period_end": "2025-12-31", "value": 3,
                "evidence_note": "Biên bản thành lập tổ", "submit": true,
            ]
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "xa10-2025-q4"]
            let result = try await c.call(.post, "/v1/results", "/v1/results", token: commune, json: report, headers: key)
            try await c.call(.post, "/v1/results", "/v1/results", token: commune, json: report.merging(["value": 4]) { $1 }, headers: key)
            try await c.call(.post, "/v1/results", "/v1/results", token: commune, json: report.merging(["unit_id": u.otherCommune]) { $1 })
            let id = try #require(result.json["id"] as? String, "\(result.text)")
            try await c.call(.get, "/v1/results", "/v1/results?state=submitted&limit=1", token: district)
            try await c.call(.get, "/v1/results", "/v1/results?state=lost", token: district)
            try await c.call(.get, "/v1/results/{id}", "/v1/results/\(id)", token: commune)
            try await c.call(.get, "/v1/results/{id}", "/v1/results/\(id)", token: other)
            try await c.call(.post, "/v1/results/{id}/approve", "/v1/results/\(id)/approve", token: commune, json: ["version": 1])
            try await c.call(.post, "/v1/results/{id}/approve", "/v1/results/\(id)/approve", token: district, json: ["version": 1])
            try await c.call(.post, "/v1/results/{id}/approve", "/v1/results/\(id)/approve", token: district, json: ["version": 1])
            try await c.call(.post, "/v1/results/{id}/correct", "/v1/results/\(id)/correct", token: district, json: ["value": 4, "reason": "Đếm lại", "version": 2])
            var draft = report
            draft["submit"] = false
            draft["period_start"] = "2025-01-01"
            draft["period_end"] = "2025-03-31"
            let second = try await c.call(.post, "/v1/results", "/v1/results", token: commune, json: draft)
            let secondID = try #require(second.json["id"] as? String, "\(second.text)")
            try await c.call(.patch, "/v1/results/{id}", "/v1/results/\(secondID)", token: commune, json: ["period_start": "2025-01-01", "period_end": "2025-03-31", "value": 2, "version": 1])
            try await c.call(.patch, "/v1/results/{id}", "/v1/results/\(secondID)", token: commune, json: ["period_start": "2025-01-01", "period_end": "2025-03-31", "value": 2, "version": 1])
            try await c.call(.post, "/v1/results/{id}/submit", "/v1/results/\(secondID)/submit", token: commune)
            try await c.call(.post, "/v1/results/{id}/submit", "/v1/results/\(secondID)/submit", token: commune)
            try await c.call(.post, "/v1/results/{id}/return", "/v1/results/\(secondID)/return", token: district, json: ["reason": "Thiếu biên bản"])
            try await c.call(.post, "/v1/results/{id}/return", "/v1/results/\(secondID)/return", token: district, json: [:] as [String: Any])
            try await c.call(
                .post, "/v1/results/approvals", "/v1/results/approvals", token: district,
                json: ["results": [["id": id, "version": 3] as [String: Any], ["id": secondID, "version": 1]]])
            try await c.call(.post, "/v1/results/approvals", "/v1/results/approvals", token: district, json: ["results": [[String: Any]]()])
            try await c.call(.get, "/v1/progress", "/v1/progress?phase=\(phase)&depth=0", token: province)
            try await c.call(.get, "/v1/progress", "/v1/progress", token: province)
            try await c.call(.get, "/v1/progress/summary", "/v1/progress/summary", token: province)
            try await c.call(.get, "/v1/completeness", "/v1/completeness?phase=\(phase)&year=2025&period=2025-Q1", token: district)
            try await c.call(.get, "/v1/completeness", "/v1/completeness?phase=\(phase)&year=2025&unit_id=\(u.commune)", token: province)
            try await c.call(.get, "/v1/completeness", "/v1/completeness?phase=\(phase)&year=2025&period=2024-Q1", token: province)
            try await c.call(.get, "/v1/completeness", "/v1/completeness?phase=\(phase)&year=2025&unit_id=\(world.unitsB.district)", token: province)
            try await c.call(.get, "/v1/progress/export", "/v1/progress/export?phase=\(phase)&format=csv", token: province)
            try await c.call(.get, "/v1/progress/export", "/v1/progress/export?phase=\(phase)&year=2025", token: district)
            try await c.call(.get, "/v1/progress/export", "/v1/progress/export?phase=\(phase)&format=pdf", token: province)
            try await c.call(.get, "/v1/progress/export", "/v1/progress/export?phase=\(phase)&unit_id=\(world.unitsB.province)", token: province)
            try await c.call(.get, "/v1/reports/province", "/v1/reports/province?phase=\(phase)", token: province)
            try await c.call(.get, "/v1/reports/province", "/v1/reports/province?phase=\(phase)&year=2025&format=xlsx", token: district)
            try await c.call(.get, "/v1/reports/province", "/v1/reports/province?phase=\(phase)&year=2019", token: province)
            try await c.call(.get, "/v1/reports/province", "/v1/reports/province?phase=2031-2035", token: province)

            // Imports: a refused row, an empty file, a body that is not a form; the templates.
            let boundary = "conformance-import"
            func form(_ fields: [(String, String)]) -> Data {
                Data((fields.map { "--\(boundary)\r\nContent-Disposition: form-data; name=\"\($0.0)\"\r\n\r\n\($0.1)\r\n" }.joined() + "--\(boundary)--\r\n").utf8)
            }
            let formType: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
            let refusedRows = form([("kind", "results"), ("dry_run", "true"), ("file", "unit_code,indicator_code,period,value\n99999,DA8-01,2025,1\n")])
            try await c.call(.post, "/v1/imports", "/v1/imports", token: commune, body: refusedRows, headers: formType)
            try await c.call(.post, "/v1/imports", "/v1/imports", token: commune, body: form([("file", "unit_code,indicator_code,period,value\n")]), headers: formType)
            try await c.call(.post, "/v1/imports", "/v1/imports", token: commune, json: ["kind": "results"])
            try await c.call(.get, "/v1/imports/template", "/v1/imports/template?period=2025-Q4&format=csv", token: commune)
            try await c.call(.get, "/v1/imports/template", "/v1/imports/template?kind=targets&phase=\(phase)&year=2025&level=district", token: province)
            try await c.call(.get, "/v1/imports/template", "/v1/imports/template?kind=results", token: province)

            // The audit log, then logging out.
            try await c.call(.get, "/v1/audit", "/v1/audit?limit=3", token: province)
            try await c.call(.get, "/v1/audit", "/v1/audit", token: commune)
            let password = "/v1/sessions/current/password"
            try await c.call(.post, password, password, token: other, json: ["current_password": "sai rồi", "new_password": "mật khẩu mới của tôi"])
            try await c.call(.post, password, password, token: other, json: ["current_password": testPassword, "new_password": "ngắn"])
            try await c.call(.post, password, password, token: other, json: ["current_password": testPassword, "new_password": "mật khẩu mới của tôi"])
            try await c.call(.delete, "/v1/sessions/current", "/v1/sessions/current", token: other)
            try await c.call(.delete, "/v1/sessions/current", "/v1/sessions/current", token: other)

            let missed = c.operations.subtracting(c.covered)
            #expect(missed.isEmpty, "operations never called: \(missed.sorted())")
        }
        await world.shutdown()
    }
}

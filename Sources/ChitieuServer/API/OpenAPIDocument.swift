import ChitieuDomain
public import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of every route of the daemon, served at `GET /openapi.json`.
/// It is built from Swift values, so the binary carries it; the conformance tests check it
/// against the router's routes and against real answers, field by field.
public enum OpenAPIDocument {
    /// The document as JSON (keys sorted).
    public static let data: Data = {
        (try? JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }()

    /// `GET /openapi.json`, without authentication.
    static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// The document as a JSON object.
    public static func document() -> [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "chitieu",
                "version": "1",
                "description": """
                    Targets (chỉ tiêu) of Project 8 — gender equality — planned, allocated and tracked by provinces, \
                    districts and communes. Every /v1 route but POST /v1/sessions takes a bearer token. Errors are RFC 9457 \
                    application/problem+json documents whose `errors` name the invalid fields and whose `code` says the kind \
                    of problem; `Accept-Language: vi` has their title and details in Vietnamese. Something of another province, \
                    or outside the caller's scope, answers 404 as if it did not exist; something in scope the caller's roles \
                    do not allow answers 403. Times are RFC 3339 with an offset; lists are pages with `next_cursor`.
                    """,
            ],
            "security": [["bearer": [String]()]],
            "paths": paths(),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "ct_<province>_<secret>, from POST /v1/sessions or `chitieu token issue`"]],
                "schemas": schemas(),
            ],
        ]
    }

    // MARK: Schemas

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static var string: [String: Any] { ["type": "string"] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static var time: [String: Any] { ["type": "string", "format": "date-time"] }
    static var date: [String: Any] { ["type": "string", "format": "date"] }
    static var uuid: [String: Any] { ["type": "string", "format": "uuid"] }
    /// Any JSON value.
    static var any: [String: Any] { [:] }

    static func nullable(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        schema["type"] = [schema["type"] as? String ?? "object", "null"]
        return schema
    }

    static func enumeration(_ values: [String]) -> [String: Any] { ["type": "string", "enum": values] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }

    /// An object with exactly these members; all required but `optional`.
    static func object(_ properties: [String: [String: Any]], optional: Set<String> = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": properties.keys.filter { !optional.contains($0) }.sorted(), "additionalProperties": false]
    }

    static func map(_ values: [String: Any], nullable isNullable: Bool = false) -> [String: Any] {
        ["type": isNullable ? ["object", "null"] as Any : "object" as Any, "additionalProperties": values]
    }

    static func list(_ item: String, paged: Bool) -> [String: Any] {
        var members: [String: [String: Any]] = ["items": array(ref(item))]
        if paged { members["next_cursor"] = nullable(string) }
        return object(members)
    }

    static var accountMembers: [String: [String: Any]] { [
        "id": uuid, "username": string, "display_name": string, "status": enumeration(["active", "disabled"]),
        "home_unit_id": nullable(integer), "created_at": time,
    ] }

    /// Every schema, one family a function.
    static func schemas() -> [String: Any] {
        [accessSchemas(), catalogueSchemas(), resultsSchemas(), planningSchemas(), listSchemas()]
            .reduce(into: [String: Any]()) { all, family in all.merge(family) { first, _ in first } }
    }

    /// Problems, sessions, accounts, grants, tokens and the audit log.
    static func accessSchemas() -> [String: Any] {
        [
            "Problem": object([
                "type": string, "title": string, "status": integer, "detail": string,
                "errors": array(object(["field": string, "detail": string])), "request_id": string,
                "code": enumeration(ChitieuError.Code.allCases.map(\.name)),
            ], optional: ["errors", "request_id", "code"]),
            "Status": object(["status": string]),
            "Session": object(["token": string, "token_type": enumeration(["Bearer"]), "expires_at": nullable(time), "account": ref("Account")]),
            "Account": object(accountMembers),
            "AccountWithGrants": object(accountMembers.merging(["grants": array(ref("Grant"))]) { $1 }),
            "AccountWithPassword": object(accountMembers.merging(["password": string]) { $1 }),
            "IssuedToken": object([
                "id": uuid, "username": string, "kind": string, "name": nullable(string), "expires_at": nullable(time), "token": string,
            ]),
            "Me": object(accountMembers.merging(["grants": array(ref("Grant")), "province_id": integer]) { $1 }),
            "Grant": object([
                "id": integer, "account_id": uuid, "username": string, "role": enumeration(["province", "district", "commune", "viewer"]),
                "unit_id": integer, "unit_code": string, "unit_name": string, "valid_from": date, "valid_to": nullable(date),
                "revoked_at": nullable(time), "granted_at": time,
            ]),
            "Token": object([
                "id": uuid, "username": string, "kind": string, "name": nullable(string), "created_at": time, "expires_at": nullable(time),
                "revoked_at": nullable(time), "last_used_at": nullable(time),
            ]),
            "AuditEvent": object([
                "id": integer, "at": time, "actor_id": nullable(uuid), "actor": string, "via": enumeration(["api", "cli", "job"]),
                "request_id": nullable(string), "action": string, "entity_type": string, "entity_id": nullable(string),
                "unit_id": nullable(integer), "before": any, "after": any,
                "summary": string.merging(["description": "The event as a sentence: Vietnamese with `Accept-Language: vi`, English otherwise."]) { $1 },
                "actor_name": nullable(string), "unit_name": nullable(string),
            ]),
        ]
    }

    /// Units and indicators.
    static func catalogueSchemas() -> [String: Any] {
        let levels = ["province", "district", "commune", "village"]
        return [
            "Unit": object([
                "id": integer, "level": enumeration(levels), "code": string, "name": string, "type_label": string,
                "parent_id": nullable(integer), "valid_from": date, "valid_to": nullable(date),
            ]),
            "Indicator": object([
                "id": integer, "code": string, "name": string, "name_en": nullable(string), "measure_unit": string,
                "kind": enumeration(["flow", "stock"]), "reporting_levels": array(enumeration(levels)),
                "disaggregation": map(array(string), nullable: true), "companion_measure": nullable(string),
                "status": enumeration(["active", "suspended"]), "suspended_from": nullable(date), "suspended_reason": nullable(string),
                "updated_at": time, "companion_disaggregation": map(array(string), nullable: true),
            ]),
        ]
    }

    /// Results and completion.
    static func resultsSchemas() -> [String: Any] {
        let levels = ["province", "district", "commune", "village"]
        return [
            "Result": object([
                "id": uuid, "indicator_id": integer, "indicator_code": string, "unit_id": integer, "unit_code": string, "unit_name": string,
                "period_start": date, "period_end": date, "value": integer, "breakdown": map(map(integer), nullable: true),
                "companion_value": nullable(integer), "evidence_note": nullable(string),
                "state": enumeration(["draft", "submitted", "approved", "returned"]), "return_reason": nullable(string), "version": integer,
                "created_at": time, "submitted_at": nullable(time), "decided_at": nullable(time), "updated_at": time,
                "companion_breakdown": map(map(integer), nullable: true),
            ]),
            "Progress": object([
                "indicator_id": integer, "indicator_code": string, "indicator_name": string, "measure_unit": string, "unit_id": integer,
                "unit_code": string, "unit_name": string, "unit_level": enumeration(levels), "parent_id": nullable(integer),
                "year": nullable(integer), "target": nullable(integer), "achieved": integer, "rate": nullable(["type": "number"]),
                "achieved_with_submitted": integer, "companion_measure": nullable(string), "companion": nullable(integer),
                "status": enumeration(["completed", "on_track", "behind", "no_target", "suspended"]), "computed_at": time,
            ]),
            "ProgressSummary": object([
                "unit_id": integer, "unit_code": string, "unit_name": string, "unit_level": enumeration(levels), "phase": string, "indicators": integer, "completed": integer, "on_track": integer, "behind": integer, "suspended": integer,
            ]),
            "Completeness": completenessSchema(levels),
            "ProvinceReport": provinceReportSchema(levels),
        ]
    }

    /// `GET /v1/reports/province`'s answer.
    static func provinceReportSchema(_ levels: [String]) -> [String: Any] {
        let completion = object(["completed": integer, "counted": integer, "suspended": integer, "text": string])
        return object([
            "province": string, "programme": string, "project": string, "phase": string, "year": nullable(integer), "period": string,
            "date": date, "plan": nullable(string), "completion": nullable(completion),
            "tables": array(object([
                "level": enumeration(levels), "heading": string,
                "units": array(object([
                    "unit_id": integer, "unit_code": string, "unit_name": string, "completion": completion,
                    "lines": array(object([
                        "number": integer, "indicator_code": string, "indicator_name": string, "measure_unit": string,
                        "target": nullable(integer), "achieved": integer, "rate": nullable(["type": "number"]),
                        "status": enumeration(["completed", "on_track", "behind", "no_target", "suspended"]), "note": string,
                    ])),
                ])),
            ])),
        ])
    }

    /// Targets, allocation rules, phases, settings and jobs.
    static func planningSchemas() -> [String: Any] {
        let levels = ["province", "district", "commune", "village"]
        return [
            "Target": object([
                "id": integer, "indicator_id": integer, "indicator_code": string, "phase": string, "unit_id": integer, "unit_code": string,
                "unit_name": string, "unit_level": enumeration(levels), "parent_id": nullable(integer), "year": nullable(integer),
                "value": integer, "origin": enumeration(["assigned", "allocated", "overridden"]), "locked": boolean, "set_at": time,
            ]),
            "AllocationRule": object([
                "id": integer, "indicator_id": integer, "indicator_code": string, "phase": string, "unit_id": integer, "unit_code": string,
                "unit_name": string, "method": enumeration(["equal", "weighted", "manual"]), "weights": map(integer, nullable: true),
                "attribute": nullable(string), "minimum": integer, "years": nullable(array(integer)), "updated_at": time,
            ]),
            "Phase": object([
                "code": string, "first_year": integer, "last_year": integer,
                "plan": nullable(object([
                    "number": string, "date": date, "issuer": string, "title": nullable(string),
                    "citation": ["type": "string", "description": "As officers cite it: Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai."],
                ])),
            ]),
            "ProvinceSettings": object(["district_allocation": boolean]),
            "Job": object([
                "id": integer, "kind": string, "province_id": nullable(integer), "unique_key": nullable(string), "args": map(any),
                "state": enumeration(["pending", "running", "succeeded", "failed", "cancelled"]), "priority": integer, "run_at": time,
                "attempts": integer, "max_attempts": integer, "lease_until": nullable(time), "last_error": nullable(string),
                "created_at": time, "finished_at": nullable(time),
            ]),
        ]
    }

    /// The lists and pages of each kind.
    static func listSchemas() -> [String: Any] {
        [
            "UnitList": list("Unit", paged: true),
            "UnitChildren": list("Unit", paged: false),
            "IndicatorList": list("Indicator", paged: false),
            "AccountList": list("Account", paged: false),
            "TokenList": list("Token", paged: false),
            "AuditPage": list("AuditEvent", paged: true),
            "ResultPage": list("Result", paged: true),
            "ProgressList": list("Progress", paged: false),
            "ProgressSummaryList": list("ProgressSummary", paged: false),
            "TargetPage": list("Target", paged: true),
            "AllocationRulePage": list("AllocationRule", paged: true),
            "JobPage": list("Job", paged: true),
        ]
    }

    /// `GET /v1/completeness`'s answer.
    static func completenessSchema(_ levels: [String]) -> [String: Any] {
        let counts: [String: [String: Any]] = [
            "indicators": integer, "approved": integer, "submitted": integer, "returned": integer, "draft": integer, "nothing": integer,
            "reported_percent": nullable(["type": "number"]),
        ]
        return object([
            "phase": string, "year": integer,
            "period": object(["code": string, "kind": enumeration(["year", "half", "quarter", "month"]), "start": date, "end": date, "label": string]),
            "closes_on": nullable(date), "days_left": nullable(integer),
            "levels": array(object(counts.merging(["level": enumeration(levels), "units": integer, "units_without_reports": integer]) { $1 })),
            "units": array(object(counts.merging([
                "unit_id": integer, "unit_code": string, "unit_name": string, "unit_level": enumeration(levels), "parent_id": nullable(integer),
                "closes_on": nullable(date), "days_left": nullable(integer),
            ]) { $1 })),
            "units_without_reports": array(object([
                "unit_id": integer, "unit_code": string, "unit_name": string, "unit_level": enumeration(levels), "parent_id": nullable(integer),
            ])),
            "indicators": array(object([
                "unit_id": integer, "indicator_id": integer, "indicator_code": string, "indicator_name": string,
                "state": enumeration(ReportingState.allCases.map(\.rawValue)), "results": integer,
            ])),
        ])
    }

    // MARK: Operations

    static let problemText: [Int: String] = [
        400: "The body is not a JSON object (or not UTF-8), or the request's framing is malformed (`malformed`).", 401: "No valid bearer token.",
        403: "In scope, but the caller's roles do not allow it.",
        404: "No such thing in the caller's province and scope.", 409: "Conflicts with the current state (a lock, a version, a state).",
        413: "The body is larger than 1 MiB.", 415: "The body is not application/json.",
        422: "A field or parameter breaks a rule, or a member is named twice in one object; `errors` names it.",
        429: "Too many attempts; retry after `Retry-After` seconds.",
        501: "The body's Transfer-Encoding is not `chunked` (`unsupported-transfer-coding`); the connection is closed.",
        503: "The database cannot be reached, did not answer within the statement deadline, or is not migrated (`database-unavailable`, `not-ready`); or every connection of the server is in use (`database-busy`). Retry after `Retry-After` seconds.",
    ]

    static func problem(_ status: Int) -> [String: Any] {
        ["description": problemText[status] ?? "A problem.", "content": ["application/problem+json": ["schema": ref("Problem")]]]
    }

    static func json(_ description: String, _ schema: [String: Any]) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    static func parameter(_ name: String, in location: String = "query", _ schema: [String: Any], _ description: String, required: Bool = false) -> [String: Any] {
        ["name": name, "in": location, "required": location == "path" || required, "schema": schema, "description": description]
    }

    static var integerID: [String: Any] { parameter("id", in: "path", ["type": "integer", "minimum": 1], "The id.") }
    static var uuidID: [String: Any] { parameter("id", in: "path", uuid, "The id.") }
    static var limit: [String: Any] { parameter("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "Items per page (default 100).") }
    static var cursor: [String: Any] { parameter("cursor", string, "`next_cursor` of the previous page.") }
    static var phase: [String: Any] { parameter("phase", ["type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"], "The phase, e.g. 2021-2025.", required: true) }
    static var phasePath: [String: Any] { parameter("phase", in: "path", ["type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"], "The phase, e.g. 2021-2025.") }

    /// An operation. `ok` is the success status and its body (nil: no body); `errors` the
    /// problem statuses it may answer besides 401 and 503, which every authenticated one may.
    static func operation(
        _ summary: String, id: String, tag: String, ok: (Int, String, [String: Any]?), errors: [Int] = [], parameters: [[String: Any]] = [],
        body: [String: Any]? = nil, bodyRequired: Bool = true, public isPublic: Bool = false, database: Bool = true
    ) -> [String: Any] {
        var responses: [String: Any] = [:]
        if let schema = ok.2 { responses[String(ok.0)] = json(ok.1, schema) } else { responses[String(ok.0)] = ["description": ok.1] }
        var codes = Set(errors)
        if !isPublic { codes.insert(401) }
        if database { codes.insert(503) }
        if body != nil { codes.formUnion([400, 413, 415, 422, 501]) }
        for code in codes { responses[String(code)] = problem(code) }
        var op: [String: Any] = ["summary": summary, "operationId": id, "tags": [tag], "responses": responses]
        if !parameters.isEmpty { op["parameters"] = parameters }
        if let body { op["requestBody"] = ["required": bodyRequired, "content": ["application/json": ["schema": body]]] }
        if isPublic { op["security"] = [[String: Any]]() }
        return op
    }

    /// Every route, one family of routes a function: a new route goes into its family's function.
    static func paths() -> [String: Any] {
        [healthPaths(), sessionPaths(), unitPaths(), indicatorPaths(), accountPaths(), auditPaths(), resultPaths(), progressPaths(), planningPaths(), jobPaths(),
         importPaths()]
            .reduce(into: [String: Any]()) { all, family in all.merge(family) { first, _ in first } }
    }

    /// The health routes and this document, without authentication.
    static func healthPaths() -> [String: Any] {
        [
            "/health": ["get": operation("The process is up.", id: "health", tag: "health", ok: (200, "Up.", ref("Status")), public: true, database: false)],
            "/ready": ["get": operation(
                "The database answers and its migrations are current.", id: "ready", tag: "health", ok: (200, "Ready.", ref("Status")), public: true)],
            "/metrics": ["get": [
                "summary": "Prometheus metrics: requests, latency, the connection pool, the job queue.", "operationId": "metrics",
                "tags": ["health"], "security": [[String: Any]](),
                "responses": ["200": [
                    "description": "The text exposition format.",
                    "content": ["text/plain; version=0.0.4; charset=utf-8": ["schema": string]],
                ]],
            ] as [String: Any]],
            "/openapi.json": ["get": operation(
                "This document.", id: "openapi", tag: "health", ok: (200, "The OpenAPI 3.1 document.", ["type": "object"]), public: true, database: false)],
        ]
    }

    /// Logging in and out.
    static func sessionPaths() -> [String: Any] {
        [
            "/v1/sessions": ["post": operation(
                "Log in: a session token.", id: "login", tag: "sessions", ok: (201, "The session.", ref("Session")), errors: [401, 429],
                body: object(["username": string, "password": string]), public: true)],
            "/v1/sessions/current": [
                "get": operation("Who am I, with my grants.", id: "whoAmI", tag: "sessions", ok: (200, "The account.", ref("Me"))),
                "delete": operation("Log out: revokes the token.", id: "logout", tag: "sessions", ok: (204, "Revoked.", nil)),
            ],
            "/v1/sessions/current/password": ["post": operation(
                "Change my own password: the current one, then the new one (at least 10 characters). The account's other sessions end; this one stays. A wrong current password counts toward the login limit (429 past it).",
                id: "changePassword", tag: "sessions", ok: (200, "Changed; how many other sessions ended.", object(["sessions_ended": integer])),
                errors: [403, 429], body: object(["current_password": string, "new_password": string]))],
        ]
    }

    /// Units and their search.
    static func unitPaths() -> [String: Any] {
        [
            "/v1/units": ["get": operation(
                "Without q, the units at the top of my scope; with q, units of my scope whose name contains q, compared without diacritics, in Vietnamese order.",
                id: "listUnits", tag: "units", ok: (200, "Units.", ref("UnitList")), errors: [422],
                parameters: [
                    parameter("q", string, "Part of a name, with or without diacritics (Hoà, Hòa and hoa find the same units)."),
                    parameter("level", enumeration(["province", "district", "commune", "village"]), "Only units of this level (with q)."),
                    limit, cursor,
                ])],
            "/v1/units/{id}": ["get": operation("One unit.", id: "getUnit", tag: "units", ok: (200, "The unit.", ref("Unit")), errors: [404], parameters: [integerID])],
            "/v1/units/{id}/children": ["get": operation(
                "The units directly below, in Vietnamese order.", id: "listUnitChildren", tag: "units", ok: (200, "Units.", ref("UnitChildren")),
                errors: [404], parameters: [integerID])],
        ]
    }

    /// Indicators, their suspension and resumption.
    static func indicatorPaths() -> [String: Any] {
        [
            "/v1/indicators": ["get": operation("The province's indicators.", id: "listIndicators", tag: "indicators", ok: (200, "Indicators.", ref("IndicatorList")))],
            "/v1/indicators/{id}": ["get": operation(
                "One indicator.", id: "getIndicator", tag: "indicators", ok: (200, "The indicator.", ref("Indicator")), errors: [404], parameters: [integerID])],
            "/v1/indicators/{id}/suspend": ["post": operation(
                "Suspend an indicator from a date (province officers).", id: "suspendIndicator", tag: "indicators",
                ok: (200, "The indicator.", ref("Indicator")), errors: [403, 404], parameters: [integerID], body: object(["from": date, "reason": string]))],
            "/v1/indicators/{id}/resume": ["post": operation(
                "Resume a suspended indicator (province officers).", id: "resumeIndicator", tag: "indicators",
                ok: (200, "The indicator.", ref("Indicator")), errors: [403, 404, 422], parameters: [integerID])],
        ]
    }

    /// Accounts, their grants and tokens.
    static func accountPaths() -> [String: Any] {
        [
            "/v1/accounts": [
                "get": operation("Accounts I may manage.", id: "listAccounts", tag: "accounts", ok: (200, "Accounts.", ref("AccountList")), errors: [403]),
                "post": operation(
                    "Create an account; with `role`, that role at its home unit in the same transaction (neither without the other).",
                    id: "createAccount", tag: "accounts", ok: (201, "The account.", ref("Account")), errors: [403, 404],
                    body: object(["username": string, "display_name": string, "home_unit_id": nullable(integer), "password": nullable(string),
                                  "role": enumeration(["province", "district", "commune", "viewer"])],
                                 optional: ["home_unit_id", "password", "role"])),
            ],
            "/v1/accounts/{id}": ["get": operation(
                "One account with its grants.", id: "getAccount", tag: "accounts", ok: (200, "The account.", ref("AccountWithGrants")),
                errors: [403, 404], parameters: [uuidID])],
            "/v1/accounts/{id}/disable": ["post": operation(
                "Disable an account: its tokens stop working. Not one's own (409).", id: "disableAccount", tag: "accounts",
                ok: (200, "The account.", ref("Account")), errors: [403, 404, 409, 422], parameters: [uuidID])],
            "/v1/accounts/{id}/enable": ["post": operation(
                "Enable an account.", id: "enableAccount", tag: "accounts", ok: (200, "The account.", ref("Account")),
                errors: [403, 404, 422], parameters: [uuidID])],
            "/v1/accounts/{id}/grants": ["post": operation(
                "Give a role at a unit.", id: "grantRole", tag: "accounts", ok: (201, "The grant.", ref("Grant")), errors: [403, 404],
                parameters: [uuidID],
                body: object(["role": enumeration(["province", "district", "commune", "viewer"]), "unit_id": integer, "valid_to": nullable(date)],
                             optional: ["valid_to"]))],
            "/v1/accounts/{id}/password": ["post": operation(
                "Give the account a new password made by the server, in the answer once (`password`); its sessions end.",
                id: "resetPassword", tag: "accounts", ok: (200, "The account with its new password.", ref("AccountWithPassword")),
                errors: [403, 404], parameters: [uuidID])],
            "/v1/accounts/{id}/tokens": [
                "get": operation(
                    "An account's tokens (never their secrets).", id: "listTokens", tag: "accounts", ok: (200, "Tokens.", ref("TokenList")),
                    errors: [403, 404], parameters: [uuidID]),
                "post": operation(
                    "Issue an integration token for the account; its secret (`token`) is in this answer only.", id: "issueToken", tag: "accounts",
                    ok: (201, "The token with its secret.", ref("IssuedToken")), errors: [403, 404, 422], parameters: [uuidID],
                    body: object(["name": nullable(string), "expires_in_days": nullable(integer)], optional: ["name", "expires_in_days"])),
            ],
            "/v1/tokens/{id}": ["delete": operation(
                "Revoke a token of an account I manage.", id: "revokeToken", tag: "accounts", ok: (200, "The token.", ref("Token")),
                errors: [403, 404], parameters: [uuidID])],
            "/v1/grants/{id}": ["delete": operation(
                "Revoke a grant (it stays on record). Not one's own (409).", id: "revokeGrant", tag: "accounts", ok: (200, "The grant.", ref("Grant")),
                errors: [403, 404, 409, 422], parameters: [integerID])],
        ]
    }

    /// The audit log.
    static func auditPaths() -> [String: Any] {
        [
            "/v1/audit": ["get": operation(
                "The audit log of my scope, newest first.", id: "listAudit", tag: "audit", ok: (200, "Events.", ref("AuditPage")), errors: [403, 422],
                parameters: [
                    parameter("entity_type", string, "e.g. account, grant, target, job."), parameter("entity_id", string, "The entity's id."),
                    parameter("since", time, "Events at or after this time."), parameter("until", time, "Events before this time."),
                    parameter("unit_id", integer, "Only events of this unit and the units under it."),
                    parameter("actor", string, "Only events of this account (username)."), limit,
                    parameter("cursor", string, "`next_cursor` of the previous page."),
                ])],
        ]
    }

    /// Results and their moves.
    static func resultPaths() -> [String: Any] {
        let versionBody = object(["version": integer], optional: ["version"])
        let figures: [String: [String: Any]] = [
            "value": integer, "breakdown": map(map(integer), nullable: true), "companion_value": nullable(integer), "evidence_note": nullable(string),
            "companion_breakdown": map(map(integer), nullable: true),
        ]
        let resultBody = object(
            figures.merging(["indicator_id": integer, "unit_id": integer, "period_start": date, "period_end": date, "submit": nullable(boolean)]) { $1 },
            optional: ["breakdown", "companion_value", "companion_breakdown", "evidence_note", "submit"])
        let patchBody = object(
            figures.merging(["period_start": date, "period_end": date, "version": integer]) { $1 },
            optional: ["breakdown", "companion_value", "companion_breakdown", "evidence_note"])
        let resultMove = { (move: String, summary: String, body: [String: Any], required: Bool) -> [String: Any] in
            ["post": Self.operation(
                summary, id: "\(move)Result", tag: "results", ok: (200, "The result after the move.", Self.ref("Result")), errors: [403, 404, 409],
                parameters: [Self.uuidID], body: body, bodyRequired: required)]
        }
        return [
            "/v1/results": [
                "post": operation(
                    "Report a result; with Idempotency-Key a retry returns the first result (Idempotent-Replayed: true).", id: "createResult", tag: "results",
                    ok: (201, "The result.", ref("Result")), errors: [403, 404, 409],
                    parameters: [parameter(
                        "Idempotency-Key", in: "header", string,
                        "Makes a retry safe: the same content again, also while the first is in flight, answers the first result; other content is a 409.")],
                    body: resultBody),
                "get": operation(
                    "Results of my scope, newest first.", id: "listResults", tag: "results", ok: (200, "Results.", ref("ResultPage")), errors: [404, 422],
                    parameters: [
                        parameter("indicator_id", integer, "Only this indicator."), parameter("unit_id", integer, "Only this unit and below."),
                        parameter("state", enumeration(["draft", "submitted", "approved", "returned"]), "Only this state."),
                        parameter("year", integer, "Only this year."), limit, cursor,
                    ]),
            ],
            "/v1/results/{id}": [
                "get": operation("One result.", id: "getResult", tag: "results", ok: (200, "The result.", ref("Result")), errors: [404], parameters: [uuidID]),
                "patch": operation(
                    "Change a draft or returned result, naming the version changed.", id: "updateResult", tag: "results",
                    ok: (200, "The result.", ref("Result")), errors: [403, 404, 409], parameters: [uuidID], body: patchBody),
            ],
            "/v1/results/approvals": ["post": operation(
                "Approve many results at once (at most 500), each at the version reviewed, in one transaction; every result gets its outcome.",
                id: "approveResults", tag: "results",
                ok: (200, "The outcome of each result, in the order given.", object(["results": array(object(
                    ["id": uuid, "outcome": enumeration(["approved", "stale_version", "not_allowed", "not_found"]), "version": integer, "detail": string],
                    optional: ["version", "detail"]))])),
                body: object(["results": ["type": "array", "minItems": 1, "maxItems": 500, "items": object(["id": uuid, "version": integer])]]))],
            "/v1/results/{id}/submit": resultMove("submit", "Submit for approval (the body may be left out).", versionBody, false),
            "/v1/results/{id}/approve": resultMove("approve", "Approve (the level above), naming the version reviewed.", object(["version": integer]), true),
            "/v1/results/{id}/return": resultMove("return", "Return with a reason.", object(["reason": string, "version": integer], optional: ["version"]), true),
            "/v1/results/{id}/correct": resultMove(
                "correct", "Correct an approved result (the approving level or above), naming the version reviewed.",
                object(
                    figures.merging(["reason": string, "version": integer]) { $1 },
                    optional: ["breakdown", "companion_value", "companion_breakdown", "evidence_note"]), true),
        ]
    }

    /// Completion.
    static func progressPaths() -> [String: Any] {
        [
            "/v1/progress": ["get": operation(
                "Completion in my scope.", id: "listProgress", tag: "progress", ok: (200, "Figures.", ref("ProgressList")), errors: [404, 422],
                parameters: [
                    phase, parameter("year", integer, "A year of the phase (default: the phase)."), parameter("unit_id", integer, "Start here."),
                    parameter("depth", ["type": "integer", "minimum": 0, "maximum": 3], "Levels below the start (default 1)."),
                    parameter("indicator", string, "Only this indicator code."),
                    parameter(
                        "as_of_units", date,
                        "Figures on the units valid on this day (YYYY-MM-DD): units that ended (e.g. before the 2025 reform) carry their targets and results to their successors."),
                ])],
            "/v1/completeness": ["get": operation(
                "Reporting completeness in my scope: which units have reported each indicator in a year or a period of it (none, draft, returned, submitted, approved), counted per unit and level, with the deadline and the units that have sent nothing.",
                id: "getCompleteness", tag: "progress", ok: (200, "The period's completeness.", ref("Completeness")), errors: [404, 422],
                parameters: [
                    phase, parameter("year", integer, "A year of the phase.", required: true),
                    parameter("period", ["type": "string", "pattern": "^[0-9]{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"], "A period of the year: 2025-H1, 2025-Q3 or 2025-07 (default: the year)."),
                    parameter("unit_id", integer, "Start here (default: my grant units)."),
                ])],
            "/v1/progress/export": ["get": fileOperation(operation(
                "Completion of my scope (or below unit_id, three levels down) as the workbook (one sheet per level) or CSV that `chitieu export progress` writes, with a Content-Disposition file name.",
                id: "exportProgress", tag: "progress", ok: (200, "The file.", nil), errors: [404, 422],
                parameters: [
                    phase, parameter("year", integer, "A year of the phase (default: the whole phase)."),
                    parameter("unit_id", integer, "Start here (default: the top of my scope)."),
                    parameter("format", enumeration(["xlsx", "csv"]), "xlsx (default) or csv."),
                ]))],
            "/v1/reports/province": ["get": {
                var op = operation(
                    "The province's report of a phase or a year over my scope, as it is sent upward: the title block, one table per level (each unit's indicators with target, achieved, rate and note) and \"Hoàn thành N/M chỉ tiêu\"; as JSON or as the styled workbook (A4 landscape) that the Báo cáo page and `chitieu report province` make.",
                    id: "provinceReport", tag: "progress", ok: (200, "The report.", ref("ProvinceReport")), errors: [404, 422],
                    parameters: [
                        phase, parameter("year", ["type": "integer", "minimum": 2000, "maximum": 2100], "A year of the phase (default: the whole phase)."),
                        parameter("format", enumeration(["json", "xlsx"]), "json (default) or xlsx."),
                    ])
                var responses = op["responses"] as! [String: Any]
                responses["200"] = [
                    "description": "The report.",
                    "content": [
                        "application/json": ["schema": ref("ProvinceReport")],
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ["schema": ["type": "string", "format": "binary"]],
                    ],
                ]
                op["responses"] = responses
                return op
            }()],
            "/v1/progress/summary": ["get": operation(
                "Per phase, for each unit at the top of my scope (the units of my grants): its indicators completed, on track, behind, suspended.",
                id: "progressSummary", tag: "progress", ok: (200, "Per unit and phase.", ref("ProgressSummaryList")), errors: [404])],
        ]
    }

    /// Targets, allocation rules, allocations, phases and the province's settings.
    static func planningPaths() -> [String: Any] {
        [
            "/v1/targets": [
                "get": operation(
                    "Target cells of my scope, by indicator, level, Vietnamese name and year (the phase's cell first).", id: "listTargets", tag: "planning",
                    ok: (200, "Target cells.", ref("TargetPage")), errors: [404, 422],
                    parameters: [
                        phase, parameter("indicator_id", integer, "Only this indicator."),
                        parameter("unit_id", integer, "Start at this unit (default: the top of my scope)."),
                        parameter("depth", ["type": "integer", "minimum": 0, "maximum": 3], "Levels below the start (default 1)."),
                        parameter("year", integer, "Only this year's cells (default: the phase's and every year's)."), limit, cursor,
                    ]),
                "put": operation(
                    "Set a target: the phase's (no unit, no year), a yearly one, or an override at a unit. Omitting `locked` keeps the cell's lock, and a locked cell is then refused (409).",
                    id: "setTarget", tag: "planning", ok: (200, "The cell.", ref("Target")), errors: [403, 404, 409],
                    body: object(
                        ["indicator_id": integer, "phase": string, "unit_id": nullable(integer), "year": nullable(integer), "value": integer, "locked": nullable(boolean)],
                        optional: ["unit_id", "year", "locked"])),
            ],
            "/v1/allocation-rules": [
                "get": operation(
                    "Allocation rules of my scope.", id: "listAllocationRules", tag: "planning", ok: (200, "Rules.", ref("AllocationRulePage")), errors: [404, 422],
                    parameters: [phase, parameter("indicator_id", integer, "Only this indicator."), parameter("unit_id", integer, "Only this unit and below."), limit, cursor]),
                "put": operation(
                    "Set how a unit's target is split among its children (weights by child GSO code, or a unit attribute) and over the years.",
                    id: "setAllocationRule", tag: "planning", ok: (200, "The rule.", ref("AllocationRule")), errors: [403, 404, 409],
                    body: object(
                        [
                            "indicator_id": integer, "phase": string, "unit_id": nullable(integer), "method": enumeration(["equal", "weighted", "manual"]),
                            "weights": map(integer, nullable: true), "attribute": nullable(string), "minimum": nullable(integer), "years": nullable(array(integer)),
                        ], optional: ["unit_id", "method", "weights", "attribute", "minimum", "years"])),
            ],
            "/v1/allocations": ["post": operation(
                "Allocate the phase's targets (one indicator, or every active one) by year and down the units: queues a job, or joins the pending one.",
                id: "requestAllocation", tag: "planning", ok: (202, "The job; Location names it.", ref("Job")), errors: [403, 404],
                body: object(["phase": string, "indicator_id": nullable(integer)], optional: ["indicator_id"]))],
            "/v1/phases/{phase}": ["get": operation(
                "A phase of my province, with the plan that set its targets (null until recorded).", id: "getPhase", tag: "planning",
                ok: (200, "The phase.", ref("Phase")), errors: [422], parameters: [phasePath])],
            "/v1/phases/{phase}/plan": ["put": operation(
                "Record the plan (number, date, issuer, optional title) that set the phase's targets, replacing the one recorded before (province officers).",
                id: "setPhasePlan", tag: "planning", ok: (200, "The phase with its plan.", ref("Phase")), errors: [403],
                parameters: [phasePath],
                body: object(["number": string, "date": date, "issuer": string, "title": nullable(string)], optional: ["title"]))],
            "/v1/province/settings": [
                "get": operation(
                    "My province's settings: whether district officers plan their communes (set the communes' targets and allocation rules).",
                    id: "getProvinceSettings", tag: "planning", ok: (200, "The settings.", ref("ProvinceSettings"))),
                "put": operation(
                    "Change my province's settings (province officers).", id: "setProvinceSettings", tag: "planning",
                    ok: (200, "The settings.", ref("ProvinceSettings")), errors: [403], body: object(["district_allocation": boolean])),
            ],
        ]
    }

    /// Jobs.
    static func jobPaths() -> [String: Any] {
        [
            "/v1/jobs": ["get": operation(
                "My province's jobs, newest first (province officers).", id: "listJobs", tag: "jobs", ok: (200, "Jobs.", ref("JobPage")), errors: [403, 422],
                parameters: [
                    parameter("state", enumeration(["pending", "running", "succeeded", "failed", "cancelled"]), "Only this state."),
                    parameter("kind", string, "Only this kind, e.g. allocate or progress."), limit, cursor,
                ])],
            "/v1/jobs/{id}": ["get": operation(
                "One job of my province.", id: "getJob", tag: "jobs", ok: (200, "The job.", ref("Job")), errors: [403, 404], parameters: [integerID])],
        ]
    }
}

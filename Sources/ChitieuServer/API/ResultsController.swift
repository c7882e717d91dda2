import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// `/v1/results` and `/v1/progress`: what units report, and completion.
struct ResultsController {
    let results: ResultStore
    let progress: ProgressStore

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        addResultRoutes(to: group)
        for move in ["submit", "approve", "return", "correct"] {
            group.post("results/:id/\(move)") { request, context in try await self.move(move, request, context) }
        }
        addProgressRoutes(to: group)
    }

    /// Creating, listing, reading and editing results; approving many at once.
    func addResultRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("results") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(
                request, context: context,
                allowed: ["indicator_id", "unit_id", "period_start", "period_end", "value", "breakdown", "companion_value", "companion_breakdown", "evidence_note", "submit"])
            let submit: Bool
            switch input.members["submit"] {
            case nil, .null?: submit = false
            case .bool(let b)?: submit = b
            case let other?: throw BodyError.invalid("submit", "must be true or false, not \(other.kindName)")
            }
            let (record, replayed) = try await results.create(
                province: province, try Self.resultInput(input, indicatorID: try input.requiredInteger("indicator_id"), unit: .id(try input.requiredInteger("unit_id"))),
                submit: submit, idempotencyKey: request.headers[Self.idempotencyKey], caller: caller)
            var response = JSONBody.response(.created, Representation.result(record))
            if replayed { response.headers[Self.replayed] = "true" }
            return response
        }
        group.json(.get, "results") { call in
            let query = call.query
            // Ids and years of any value: the store says which exist.
            let any = Int64.min...Int64.max
            let filter = ResultStore.Filter(
                indicatorID: try query.integer("indicator_id", in: any), unitID: try query.integer("unit_id", in: any),
                state: try query.oneOf("state", ResultRules.State.allCases.map(\.rawValue)).flatMap(ResultRules.State.init(rawValue:)),
                year: try query.integer("year", in: any).map { Int($0) }, after: try query.string("cursor").map(Self.decodeCursor),
                limit: try query.limit())
            let records = try await results.list(province: call.province, filter: filter, caller: call.caller)
            return page(records.map(Representation.result), limit: filter.limit) { Self.cursor(records.last!) }
        }
        group.json(.get, "results/:id") { call in
            let id = try call.context.parameters.uuid("id", what: "the result")
            return Representation.result(try await results.find(province: call.province, id: id, caller: call.caller))
        }
        group.json(.patch, "results/:id") { call in
            let id = try call.context.parameters.uuid("id", what: "the result")
            let input = try await call.input(
                allowed: ["period_start", "period_end", "value", "breakdown", "companion_value", "companion_breakdown", "evidence_note", "version"])
            let version = Int(try input.requiredInteger("version"))
            let (start, end) = try Self.period(input)
            let updated = try await results.edit(
                province: call.province, id: id, periodStart: start, periodEnd: end, figures: try Self.figures(input), expectedVersion: version,
                caller: call.caller)
            return Representation.result(updated)
        }
        group.json(.post, "results/approvals") { call in
            let items = try Self.approvals(try await call.input(allowed: ["results"]))
            return ["results": try await results.approve(province: call.province, items, caller: call.caller).map(Self.approval)]
        }
    }

    /// A move of one result: submit, approve, return (with a reason) or correct (with figures and a reason).
    func move(_ move: String, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let id = try context.parameters.uuid("id", what: "the result")
        let allowed: Set<String> = move == "return" ? ["reason", "version"] : move == "correct" ? ["value", "breakdown", "companion_value", "companion_breakdown", "evidence_note", "reason", "version"] : ["version"]
        // These moves may come without a body; a body, when sent, is read like any other.
        let length = request.headers[.contentLength]
        let bodyless = length == "0" || (length == nil && request.headers[.contentType] == nil)
        let input = bodyless ? JSONInput(members: [:]) : try await JSONInput.read(request, context: context, allowed: allowed)
        let version = try input.integer("version").map(Int.init)
        // Deciding on content needs the version the decider saw: a result changed since is a 409.
        if (move == "approve" || move == "correct") && version == nil { throw BodyError.invalid("version", "is required: the version of the result you reviewed") }
        let record: ResultRecord
        switch move {
        case "submit": record = try await results.submit(province: province, id: id, expectedVersion: version, caller: caller)
        case "approve": record = try await results.approve(province: province, id: id, expectedVersion: version, caller: caller)
        case "return":
            record = try await results.giveBack(
                province: province, id: id, reason: try input.requiredString("reason", maxBytes: 4000), expectedVersion: version, caller: caller)
        default:
            record = try await results.correct(
                province: province, id: id, figures: try Self.figures(input), reason: try input.requiredString("reason", maxBytes: 4000),
                expectedVersion: version, caller: caller)
        }
        return JSONBody.response(.ok, Representation.result(record))
    }

    /// Completion: the figures, on the units of a day if asked, and the caller's summary.
    func addProgressRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("progress") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            let any = Int64.min...Int64.max
            let (phase, year) = (try PlanningController.phase(query), try query.integer("year", in: any).map { Int($0) })
            let unit = try query.integer("unit_id", in: any).map { UnitReference.id($0) }
            let depth = Int(try query.integer("depth", in: 0...3) ?? 1)
            let indicator = try query.string("indicator", maxBytes: 40)
            // On the units of a day: what units that ended had, carried to their successors.
            if let asOf = try query.date("as_of_units") {
                let figures = try await progress.figuresOnUnits(
                    province: province, phaseCode: phase, asOf: asOf, year: year, unit: unit, depth: depth, indicatorCode: indicator, caller: caller)
                return JSONBody.response(.ok, bytes: Representation.progressItems(figures.figures))
            }
            let answer = try await progress.figures(
                province: province, phaseCode: phase, year: year, unit: unit, depth: depth, indicatorCode: indicator, caller: caller,
                render: Representation.progressItems)
            return JSONBody.response(.ok, bytes: answer)
        }
        group.json(.get, "progress/summary") { call in
            ["items": try await progress.summary(province: call.province, caller: call.caller).map(Representation.progressSummary)]
        }
    }

    /// A breakdown member of the body (`breakdown` or `companion_breakdown`): dimension → category → count.
    static func breakdown(_ input: JSONInput, _ name: String) throws -> [String: [String: Int]]? {
        switch input.members[name] {
        case nil, .null?: return nil
        case .object(let dimensions)?:
            var out: [String: [String: Int]] = [:]
            for (dimension, value) in dimensions {
                guard case .object(let categories) = value else { throw BodyError.invalid("\(name).\(dimension)", "must be an object of category counts") }
                var counts: [String: Int] = [:]
                for (category, count) in categories {
                    guard case .integer(let n) = count, n >= 0, n <= Int64(ResultRules.maximumValue) else {
                        throw BodyError.invalid("\(name).\(dimension).\(category)", "must be a whole number from 0 to \(ResultRules.maximumValue)")
                    }
                    counts[category] = Int(n)
                }
                out[dimension] = counts
            }
            if let field = ResultFigures.collidingKey(in: out, field: name) { throw BodyError.invalid(field, "is given twice") }
            return out
        case let other?: throw BodyError.invalid(name, "must be an object, not \(other.kindName)")
        }
    }

    static func figures(_ input: JSONInput) throws -> ResultFigures {
        let counts = try breakdown(input, "breakdown")
        let companionCounts = try breakdown(input, "companion_breakdown")
        let value = try input.requiredInteger("value")
        guard value >= 0, value <= Int64(ResultRules.maximumValue) else { throw BodyError.invalid("value", "must be a whole number from 0 to \(ResultRules.maximumValue)") }
        let companion = try input.integer("companion_value")
        if let companion, companion < 0 || companion > Int64(ResultRules.maximumValue) {
            throw BodyError.invalid("companion_value", "must be a whole number from 0 to \(ResultRules.maximumValue)")
        }
        return ResultFigures(
            value: Int(value), breakdown: counts, companionValue: companion.map(Int.init), companionBreakdown: companionCounts,
            evidenceNote: try input.string("evidence_note", maxBytes: 16_000))
    }

    static func resultInput(_ input: JSONInput, indicatorID: Int64, unit: UnitReference) throws -> ResultInput {
        let (start, end) = try period(input)
        return ResultInput(indicatorID: indicatorID, unit: unit, periodStart: start, periodEnd: end, figures: try figures(input))
    }

    static func period(_ input: JSONInput) throws -> (start: PostgresDate, end: PostgresDate) {
        guard let start = try input.date("period_start") else { throw BodyError.invalid("period_start", "is required") }
        guard let end = try input.date("period_end") else { throw BodyError.invalid("period_end", "is required") }
        return (start, end)
    }

    /// The results of `POST /v1/results/approvals`: `{"results": [{"id": "…", "version": 3}, …]}`,
    /// each id once, at most `ResultStore.approvalBatchLimit`.
    static func approvals(_ input: JSONInput) throws -> [(id: UUID, version: Int)] {
        guard case .array(let list)? = input.members["results"] else {
            throw BodyError.invalid("results", "is required: a list of {\"id\", \"version\"}, the versions you reviewed")
        }
        guard (1...ResultStore.approvalBatchLimit).contains(list.count) else {
            throw BodyError.invalid("results", "must list 1 to \(ResultStore.approvalBatchLimit) results, not \(list.count)")
        }
        var seen: Set<UUID> = []
        return try list.enumerated().map { index, value in
            let field = "results[\(index)]"
            guard case .object(let members) = value else { throw BodyError.invalid(field, "must be an object, not \(value.kindName)") }
            if let stranger = members.keys.sorted().first(where: { $0 != "id" && $0 != "version" }) {
                throw BodyError.invalid("\(field).\(stranger)", "is not a member of an approval (id, version)")
            }
            guard case .string(let text)? = members["id"], let id = UUID(uuidString: text) else {
                throw BodyError.invalid("\(field).id", "is required: the id of a result")
            }
            guard seen.insert(id).inserted else { throw BodyError.invalid("\(field).id", "lists \(text) a second time") }
            guard case .integer(let version)? = members["version"], (1...Int64(Int32.max)).contains(version) else {
                throw BodyError.invalid("\(field).version", "is required: the version of the result you reviewed, from 1")
            }
            return (id, Int(version))
        }
    }

    /// One outcome of an approval of many, as the API writes it.
    static func approval(_ item: (id: UUID, outcome: ApprovalOutcome)) -> [String: Any] {
        var out: [String: Any] = ["id": item.id.uuidString.lowercased()]
        switch item.outcome {
        case .approved(let version): out["outcome"] = "approved"; out["version"] = version
        case .staleVersion(let current):
            out["outcome"] = "stale_version"; out["version"] = current
            out["detail"] = "the result changed since the version you reviewed (it is at version \(current)); reload it"
        case .notAllowed(let reason): out["outcome"] = "not_allowed"; out["detail"] = reason
        case .notFound: out["outcome"] = "not_found"; out["detail"] = "the result was not found"
        }
        return out
    }

    static func cursor(_ r: ResultRecord) -> String {
        "\(Int64((r.createdAt.timeIntervalSince1970 * 1_000_000).rounded()))_\(r.id.uuidString.lowercased())"
    }

    static func decodeCursor(_ text: String) throws -> (Date, UUID) {
        let parts = text.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), (0...7_258_118_400_000_000).contains(micros), let id = UUID(uuidString: String(parts[1])) else {
            throw BodyError.invalid("cursor", "is not a cursor this server gave")
        }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
    }
}

import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/targets`, `/v1/allocation-rules` and `/v1/allocations`: a province's plan — targets
/// set by hand, how they are split, and the allocation that computes the rest; `/v1/phases` (the
/// plan document behind a phase's targets) and `/v1/province/settings` (who plans the communes).
struct PlanningController {
    let targets: TargetStore
    let allocation: AllocationStore
    let settings: ProvinceSettingsStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("targets") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            var filter = TargetStore.Filter(phaseCode: try Self.phase(query))
            filter.indicatorID = try query.integer("indicator_id")
            filter.unitID = try query.integer("unit_id")
            filter.depth = Int(try query.integer("depth", in: 0...3) ?? 1)
            filter.year = try query.integer("year", in: 1900...2200).map(Int.init)
            filter.limit = try query.limit()
            filter.after = try query.idCursor()
            let cells = try await targets.list(province: province, filter: filter, caller: caller)
            return JSONBody.response(.ok, page(cells.map(Representation.target), limit: filter.limit) { String(cells.last!.id) })
        }
        group.put("targets") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(request, context: context, allowed: ["indicator_id", "phase", "unit_id", "year", "value", "locked"])
            let value = try input.requiredInteger("value")
            guard (0...Int64(TargetStore.maximumValue)).contains(value) else {
                throw ChitieuError.wholeNumber("value", maximum: TargetStore.maximumValue)
            }
            let year = try input.integer("year")
            if let year, !(1900...2200).contains(year) { throw BodyError.invalid("year", "must be a year of the phase") }
            let cell = try await targets.set(
                province: province, indicatorID: try input.requiredInteger("indicator_id"), phaseCode: try Self.phase(input),
                unitID: try input.integer("unit_id"), year: year.map(Int.init), value: Int(value), lock: try input.boolean("locked"), caller: caller)
            return JSONBody.response(.ok, Representation.target(cell))
        }
        group.get("allocation-rules") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            var filter = AllocationStore.RuleFilter(phaseCode: try Self.phase(query))
            filter.indicatorID = try query.integer("indicator_id")
            filter.unitID = try query.integer("unit_id")
            filter.limit = try query.limit()
            filter.after = try query.idCursor()
            let rules = try await allocation.rules(province: province, filter: filter, caller: caller)
            return JSONBody.response(.ok, page(rules.map(Representation.allocationRule), limit: filter.limit) { String(rules.last!.id) })
        }
        group.put("allocation-rules") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(
                request, context: context, allowed: ["indicator_id", "phase", "unit_id", "method", "weights", "attribute", "minimum", "years"])
            let record = try await allocation.setRule(
                province: province, indicatorID: try input.requiredInteger("indicator_id"), phaseCode: try Self.phase(input),
                unitID: try input.integer("unit_id"), rule: try Self.rule(input), caller: caller)
            return JSONBody.response(.ok, Representation.allocationRule(record))
        }
        group.post("allocations") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(request, context: context, allowed: ["phase", "indicator_id"])
            let (job, _) = try await allocation.request(
                province: province, phaseCode: try Self.phase(input), indicatorID: try input.integer("indicator_id"), caller: caller)
            var response = JSONBody.response(.accepted, Representation.job(job))
            response.headers[.location] = "/v1/jobs/\(job.id)"
            return response
        }
        group.get("phases/:phase") { _, context in
            let (caller, province) = try context.province()
            let phase = try await targets.phase(province: province, code: try Self.phase(context.parameters.get("phase")), caller: caller)
            return JSONBody.response(.ok, Representation.phase(phase))
        }
        group.put("phases/:phase/plan") { request, context in
            let (caller, province) = try context.province()
            let code = try Self.phase(context.parameters.get("phase"))
            let input = try await JSONInput.read(request, context: context, allowed: ["number", "date", "issuer", "title"])
            guard let date = try input.date("date") else { throw BodyError.invalid("date", "is required, e.g. 2022-10-24") }
            let plan = PhasePlan(
                number: try input.requiredString("number", maxBytes: 400), date: CalendarDate(date), issuer: try input.requiredString("issuer", maxBytes: 800),
                title: try input.string("title", maxBytes: 2000))
            let phase = try await targets.setPlan(province: province, phaseCode: code, plan: plan, caller: caller)
            return JSONBody.response(.ok, Representation.phase(phase))
        }
        group.get("province/settings") { _, context in
            let (caller, province) = try context.province()
            return JSONBody.response(.ok, Representation.provinceSettings(try await settings.settings(province: province, caller: caller)))
        }
        group.put("province/settings") { request, context in
            let (caller, province) = try context.province()
            let input = try await JSONInput.read(request, context: context, allowed: ["district_allocation"])
            guard let enabled = try input.boolean("district_allocation") else { throw BodyError.invalid("district_allocation", "is required: true or false") }
            let changed = try await settings.setDistrictAllocation(province: province, enabled: enabled, caller: caller)
            return JSONBody.response(.ok, Representation.provinceSettings(changed))
        }
    }

    /// A phase code such as 2021-2025 (its existence is the store's to check).
    static func phase(_ text: String?) throws -> String {
        guard let text else { throw BodyError.invalid("phase", "is required, e.g. 2021-2025") }
        // Four digits, a hyphen, four digits (checked by hand: a regex costs more than the request).
        let bytes = Array(text.utf8)
        let isDigit = { (b: UInt8) in (0x30...0x39).contains(b) }
        guard bytes.count == 9, bytes[4] == UInt8(ascii: "-"), bytes[0..<4].allSatisfy(isDigit), bytes[5...].allSatisfy(isDigit) else {
            throw BodyError.invalid("phase", "'\(text.prefix(40))' is not a phase such as 2021-2025")
        }
        return text
    }

    static func phase(_ query: QueryInput) throws -> String { try phase(try query.string("phase", maxBytes: 40)) }

    static func phase(_ input: JSONInput) throws -> String { try phase(try input.string("phase", maxBytes: 40)) }

    /// An allocation rule from a body: `method` (equal by default), `weights` by child GSO code,
    /// or an `attribute`; `minimum` per child; `years`, one share per year of the phase.
    static func rule(_ input: JSONInput) throws -> AllocationRule {
        let method = try input.string("method", maxBytes: 20) ?? "equal"
        guard ["equal", "weighted", "manual"].contains(method) else { throw BodyError.invalid("method", "'\(method)' is not one of equal, weighted, manual") }
        var weights: [String: Int64] = [:]
        switch input.members["weights"] {
        case nil, .null?: break
        case .object(let members)?:
            guard members.count <= 1000 else { throw BodyError.invalid("weights", "has more than 1000 units") }
            for (code, value) in members {
                guard code.wholeMatch(of: /[0-9]{2,7}/) != nil else { throw BodyError.invalid("weights", "'\(code.prefix(40))' is not a unit's GSO code") }
                guard case .integer(let n) = value, (0...1_000_000_000).contains(n) else {
                    throw ChitieuError.wholeNumber("weights.\(code)", maximum: 1_000_000_000)
                }
                weights[code] = n
            }
        case let other?: throw BodyError.invalid("weights", "must be an object of weights by unit code, not \(other.kindName)")
        }
        let attribute = try input.string("attribute", maxBytes: 40)
        if let attribute, attribute.wholeMatch(of: /[a-z][a-z0-9_]{0,39}/) == nil {
            throw BodyError.invalid("attribute", "'\(attribute)' is not an attribute name such as population")
        }
        if method == "weighted" && weights.isEmpty == (attribute == nil) {
            throw BodyError.invalid("weights", "a weighted rule needs exactly one of weights and attribute")
        }
        if method != "weighted" && (!weights.isEmpty || attribute != nil) {
            throw BodyError.invalid("method", "weights and attribute go with the weighted method only")
        }
        let minimum = try input.integer("minimum") ?? 0
        guard (0...1_000_000_000).contains(minimum) else { throw ChitieuError.wholeNumber("minimum", maximum: 1_000_000_000) }
        var years: [Int64]?
        switch input.members["years"] {
        case nil, .null?: break
        case .array(let shares)?:
            guard shares.count <= 20 else { throw BodyError.invalid("years", "has more shares than a phase has years") }
            years = try shares.map {
                guard case .integer(let n) = $0, (0...1_000_000).contains(n) else { throw BodyError.invalid("years", "must hold whole numbers from 0 to 1000000") }
                return n
            }
        case let other?: throw BodyError.invalid("years", "must be an array of yearly shares, not \(other.kindName)")
        }
        return AllocationRule(childMethod: method, childWeights: weights, yearWeights: years, minimumPerChild: Int(minimum), weightAttribute: attribute)
    }
}

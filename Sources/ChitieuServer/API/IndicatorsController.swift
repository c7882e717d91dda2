import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// `/v1/indicators`: the province's catalogue; suspension and resumption.
struct IndicatorsController {
    let indicators: IndicatorStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("indicators") { _, context in
            let (caller, province) = try context.province()
            return JSONBody.response(.ok, ["items": try await indicators.list(province: province, caller: caller).map(Representation.indicator)])
        }
        group.get("indicators/:id") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the indicator")
            return JSONBody.response(.ok, Representation.indicator(try await indicators.find(id: id, province: province, caller: caller)))
        }
        group.post("indicators/:id/suspend") { request, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the indicator")
            let found = try await indicators.find(id: id, province: province, caller: caller)
            let input = try await JSONInput.read(request, context: context, allowed: ["from", "reason"])
            guard let from = try input.date("from") else { throw ChitieuError.required("from") }
            let reason = try input.requiredString("reason", maxBytes: 4000)
            let indicator = try await indicators.suspend(code: found.draft.code, from: from, reason: reason, province: province, caller: caller)
            return JSONBody.response(.ok, Representation.indicator(indicator))
        }
        group.post("indicators/:id/resume") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the indicator")
            let found = try await indicators.find(id: id, province: province, caller: caller)
            let indicator = try await indicators.resume(code: found.draft.code, province: province, caller: caller)
            return JSONBody.response(.ok, Representation.indicator(indicator))
        }
    }
}

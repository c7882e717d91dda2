import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// `/v1/indicators`: the province's catalogue; suspension and resumption.
struct IndicatorsController {
    let indicators: IndicatorStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.json(.get, "indicators") { call in
            ["items": try await indicators.list(province: call.province, caller: call.caller).map(Representation.indicator)]
        }
        group.json(.get, "indicators/:id") { call in
            Representation.indicator(try await find(call))
        }
        group.json(.post, "indicators/:id/suspend") { call in
            let found = try await find(call)
            let input = try await call.input(allowed: ["from", "reason"])
            guard let from = try input.date("from") else { throw ChitieuError.required("from") }
            let reason = try input.requiredString("reason", maxBytes: 4000)
            return Representation.indicator(
                try await indicators.suspend(code: found.draft.code, from: from, reason: reason, province: call.province, caller: call.caller))
        }
        group.json(.post, "indicators/:id/resume") { call in
            let found = try await find(call)
            return Representation.indicator(try await indicators.resume(code: found.draft.code, province: call.province, caller: call.caller))
        }
    }

    /// The indicator of the path's `:id`.
    func find(_ call: ProvinceCall) async throws -> ChitieuStore.Indicator {
        try await indicators.find(id: try call.id("the indicator"), province: call.province, caller: call.caller)
    }
}

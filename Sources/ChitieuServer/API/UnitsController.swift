import ChitieuStore
import Hummingbird

/// `/v1/units`: the tree of the caller's scope.
struct UnitsController {
    let units: UnitDirectory

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("units") { _, context in
            let (caller, province) = try context.province()
            return JSONBody.response(.ok, ["items": try await units.roots(province: province, caller: caller).map(Representation.unit)])
        }
        group.get("units/:id") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the unit")
            return JSONBody.response(.ok, Representation.unit(try await units.unit(id: id, province: province, caller: caller)))
        }
        group.get("units/:id/children") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the unit")
            return JSONBody.response(.ok, ["items": try await units.children(of: id, province: province, caller: caller).map(Representation.unit)])
        }
    }
}

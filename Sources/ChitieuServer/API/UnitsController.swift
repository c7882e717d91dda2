import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/units`: the tree of the caller's scope, and search by name.
struct UnitsController {
    let units: UnitDirectory

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("units") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            guard let q = try query.string("q") else {
                return JSONBody.response(.ok, ["items": try await units.roots(province: province, caller: caller).map(Representation.unit), "next_cursor": NSNull()])
            }
            let level = try query.oneOf("level", UnitLevel.allCases.map(\.rawValue)).flatMap(UnitLevel.init(rawValue:))
            let limit = try query.limit()
            let found = try await units.search(province: province, query: q, level: level, limit: limit, after: try query.idCursor(), caller: caller)
            return JSONBody.response(.ok, page(found.map(Representation.unit), limit: limit) { String(found.last!.id) })
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

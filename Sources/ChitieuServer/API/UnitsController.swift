import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/units`: the tree of the caller's scope, and search by name.
struct UnitsController {
    let units: UnitDirectory

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.json(.get, "units") { call in
            let query = call.query
            guard let q = try query.string("q") else {
                return ["items": try await units.roots(province: call.province, caller: call.caller).map(Representation.unit), "next_cursor": NSNull()]
            }
            let level = try query.oneOf("level", UnitLevel.allCases.map(\.rawValue)).flatMap(UnitLevel.init(rawValue:))
            let limit = try query.limit()
            let found = try await units.search(
                province: call.province, query: q, level: level, limit: limit, after: try query.idCursor(), caller: call.caller)
            return page(found.map(Representation.unit), limit: limit) { String(found.last!.id) }
        }
        group.json(.get, "units/:id") { call in
            Representation.unit(try await units.unit(id: try call.id("the unit"), province: call.province, caller: call.caller))
        }
        group.json(.get, "units/:id/children") { call in
            ["items": try await units.children(of: try call.id("the unit"), province: call.province, caller: call.caller).map(Representation.unit)]
        }
    }
}

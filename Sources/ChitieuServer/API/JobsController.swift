import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/jobs`: the jobs of the caller's province (allocations, completion), for its officers.
struct JobsController {
    let jobs: ProvinceJobs

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("jobs") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            var filter = ProvinceJobs.Filter()
            filter.state = try query.oneOf("state", JobState.allCases.map(\.rawValue)).flatMap(JobState.init(rawValue:))
            filter.kind = try query.string("kind", maxBytes: 100)
            filter.limit = try query.limit()
            filter.before = try query.idCursor()
            let found = try await jobs.list(province: province, filter: filter, caller: caller)
            return JSONBody.response(.ok, page(found.map(Representation.job), limit: filter.limit) { String(found.last!.id) })
        }
        group.get("jobs/:id") { _, context in
            let (caller, province) = try context.province()
            let id = try context.parameters.id("id", what: "the job")
            return JSONBody.response(.ok, Representation.job(try await jobs.find(id: id, province: province, caller: caller)))
        }
    }
}

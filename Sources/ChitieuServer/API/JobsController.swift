import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/v1/jobs`: the jobs of the caller's province (allocations, completion), for its officers.
struct JobsController {
    let jobs: ProvinceJobs

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.json(.get, "jobs") { call in
            let query = call.query
            var filter = ProvinceJobs.Filter()
            filter.state = try query.oneOf("state", JobState.allCases.map(\.rawValue)).flatMap(JobState.init(rawValue:))
            filter.kind = try query.string("kind", maxBytes: 100)
            filter.limit = try query.limit()
            filter.before = try query.idCursor()
            let found = try await jobs.list(province: call.province, filter: filter, caller: call.caller)
            return page(found.map(Representation.job), limit: filter.limit) { String(found.last!.id) }
        }
        group.json(.get, "jobs/:id") { call in
            Representation.job(try await jobs.find(id: try call.id("the job"), province: call.province, caller: call.caller))
        }
    }
}

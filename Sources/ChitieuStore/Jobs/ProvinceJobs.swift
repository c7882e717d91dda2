public import ChitieuDomain
import Foundation
import Postgres

/// The jobs of one province, as its officers see them: the queue holds every province's jobs
/// (it is a plain table of the deployment), so each query names the province, and the policy's
/// `manageJobs` decides who reads them.
public struct ProvinceJobs: Sendable {
    let database: ChitieuDatabase

    /// Uses a database.
    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// What a listing keeps.
    public struct Filter: Sendable {
        public var state: JobState?
        public var kind: String?
        public var limit: Int
        /// The id of the last job of the previous page.
        public var before: Int64?

        public init(state: JobState? = nil, kind: String? = nil, limit: Int = 100, before: Int64? = nil) {
            self.state = state
            self.kind = kind
            self.limit = limit
            self.before = before
        }
    }

    /// The province's jobs, newest first, a page at a time.
    public func list(province: Int64, filter: Filter, caller: Caller) async throws -> [Job] {
        try Paging.check(limit: filter.limit)
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageJobs, what: "the jobs", tx: tx)
            return try await tx.query(
                """
                SELECT \(sql: JobQueue.columns) FROM chitieu.job
                WHERE province_id = \(province)
                  AND (\(filter.state?.rawValue)::text IS NULL OR state = \(filter.state?.rawValue))
                  AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
                  AND (\(filter.before)::bigint IS NULL OR job_id < \(filter.before))
                ORDER BY job_id DESC
                LIMIT \(filter.limit)
                """
            ).map(JobQueue.decode)
        }
    }

    /// One job of the province (404 for another province's, and for the deployment's own).
    public func find(id: Int64, province: Int64, caller: Caller) async throws -> Job {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .manageJobs, what: "the job", tx: tx)
            guard let job = try await Self.find(id: id, tx: tx) else { throw ChitieuError.notFound("the job") }
            return job
        }
    }

    static func find(id: Int64, tx: TenantTransaction) async throws -> Job? {
        try await tx.query(
            "SELECT \(sql: JobQueue.columns) FROM chitieu.job WHERE province_id = \(tx.provinceID) AND job_id = \(id)", prepared: true
        ).first.map(JobQueue.decode)
    }
}

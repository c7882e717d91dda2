public import Foundation
public import Postgres

/// The arguments of one kind of job, written by whoever enqueues it and read by its handler:
/// one Codable type, so both sides agree on the members.
public protocol JobPayload: Codable, Sendable {
    /// The job kind the payload goes with (`chitieu.job.kind`).
    static var kind: String { get }
    /// The key under which a pending job of the same work absorbs a new one, if any.
    var uniqueKey: String? { get }
}

extension JobPayload {
    public var uniqueKey: String? { nil }

    /// The payload as the job's `args` (JSON, members sorted).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and numbers cannot fail.
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

/// `allocate`: a province's targets of a phase, for one indicator or all.
public struct AllocateJob: JobPayload {
    public static let kind = "allocate"
    public var provinceID: Int64
    /// The phase's code.
    public var phase: String
    /// The indicator's id (nil: every active indicator).
    public var indicatorID: Int64?
    /// The indicator's code, for people reading the queue (jobs queued before the id was
    /// recorded name the indicator by it alone).
    public var indicator: String?

    public init(provinceID: Int64, phase: String, indicatorID: Int64?, indicator: String?) {
        self.provinceID = provinceID
        self.phase = phase
        self.indicatorID = indicatorID
        self.indicator = indicator
    }

    public var uniqueKey: String? { "allocate:\(provinceID):\(phase):\(indicator ?? "*")" }

    /// The indicator to allocate, by id when the job has it.
    public var indicatorReference: Reference? {
        if let indicatorID { return .id(indicatorID) }
        return indicator.map(Reference.code)
    }

    enum CodingKeys: String, CodingKey {
        case provinceID = "province_id", phase, indicatorID = "indicator_id", indicator
    }
}

/// `progress`: a province's completion figures of a phase, for one indicator or all.
public struct ProgressJob: JobPayload {
    public static let kind = "progress"
    public var provinceID: Int64
    public var phaseID: Int64
    /// The indicator (nil: all of them).
    public var indicatorID: Int64?

    public init(provinceID: Int64, phaseID: Int64, indicatorID: Int64? = nil) {
        self.provinceID = provinceID
        self.phaseID = phaseID
        self.indicatorID = indicatorID
    }

    public var uniqueKey: String? { "progress:\(provinceID):\(phaseID):\(indicatorID.map(String.init) ?? "")" }

    enum CodingKeys: String, CodingKey {
        case provinceID = "province_id", phaseID = "phase_id", indicatorID = "indicator_id"
    }
}

/// `jobs.prune`: finished jobs older than so many days (14 by default) are deleted.
public struct PruneJobsJob: JobPayload {
    public static let kind = "jobs.prune"
    public var retentionDays: Int?

    public init(retentionDays: Int? = nil) { self.retentionDays = retentionDays }

    enum CodingKeys: String, CodingKey { case retentionDays = "retention_days" }
}

/// `tokens.prune`: tokens expired or revoked for so many days (30 by default) are deleted.
public struct PruneTokensJob: JobPayload {
    public static let kind = "tokens.prune"
    public var retentionDays: Int?

    public init(retentionDays: Int? = nil) { self.retentionDays = retentionDays }

    enum CodingKeys: String, CodingKey { case retentionDays = "retention_days" }
}

extension JobQueue {
    /// Enqueues a job with its payload in the caller's transaction (see `enqueue(on:kind:…)`).
    @discardableResult
    public static func enqueue<Payload: JobPayload>(
        on connection: PostgresConnection, _ payload: Payload, provinceID: Int64? = nil, priority: Int = 0, runAt: Date? = nil,
        maxAttempts: Int = 10
    ) async throws -> (id: Int64, coalesced: Bool) {
        try await enqueue(
            on: connection, kind: Payload.kind, provinceID: provinceID, uniqueKey: payload.uniqueKey, args: payload.json,
            priority: priority, runAt: runAt, maxAttempts: maxAttempts)
    }

    /// `enqueue(on:_:…)` as one statement, for a pipeline.
    public static func enqueueStatement<Payload: JobPayload>(
        _ payload: Payload, provinceID: Int64?, priority: Int = 0, runAt: Date? = nil, maxAttempts: Int = 10
    ) -> PostgresQuery {
        enqueueStatement(
            kind: Payload.kind, provinceID: provinceID, uniqueKey: payload.uniqueKey, args: payload.json,
            priority: priority, runAt: runAt, maxAttempts: maxAttempts)
    }
}

extension ClaimedJob {
    /// The job's arguments as the payload of its kind.
    public func payload<Payload: JobPayload>(_ type: Payload.Type) throws -> Payload {
        try JSONDecoder().decode(type, from: Data(args.utf8))
    }
}

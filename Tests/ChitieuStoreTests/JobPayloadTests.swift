import ChitieuStore
import Foundation
import Testing

@Suite("Job payloads: one type per kind, for the enqueuer and the handler")
struct JobPayloadTests {
    static func decode<Payload: JobPayload>(_ type: Payload.Type, _ json: String) throws -> Payload {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    @Test func anAllocationJobCarriesTheIndicatorsIdAndItsCodeForPeople() throws {
        let job = AllocateJob(provinceID: 10, phase: "2021-2025", indicatorID: 7, indicator: "DA8-01")
        #expect(AllocateJob.kind == "allocate")
        #expect(job.json == #"{"indicator":"DA8-01","indicator_id":7,"phase":"2021-2025","province_id":10}"#)
        #expect(job.uniqueKey == "allocate:10:2021-2025:DA8-01")
        let read = try Self.decode(AllocateJob.self, job.json)
        #expect(read.indicatorReference == .id(7) && read.provinceID == 10 && read.phase == "2021-2025")
        // A job queued before the id was recorded names its indicator by code.
        let older = try Self.decode(AllocateJob.self, #"{"province_id": 10, "phase": "2021-2025", "indicator": "X"}"#)
        #expect(older.indicatorReference == .code("X"))
        let whole = AllocateJob(provinceID: 10, phase: "2021-2025", indicatorID: nil, indicator: nil)
        #expect(whole.json == #"{"phase":"2021-2025","province_id":10}"# && whole.uniqueKey == "allocate:10:2021-2025:*")
        #expect(try Self.decode(AllocateJob.self, whole.json).indicatorReference == nil)
    }

    @Test func aProgressJobIsKeyedByProvincePhaseAndIndicator() throws {
        #expect(ProgressJob(provinceID: 10, phaseID: 2, indicatorID: 5).uniqueKey == "progress:10:2:5")
        #expect(ProgressJob(provinceID: 10, phaseID: 2).uniqueKey == "progress:10:2:")
        #expect(ProgressJob(provinceID: 10, phaseID: 2, indicatorID: 5).json == #"{"indicator_id":5,"phase_id":2,"province_id":10}"#)
        let read = try Self.decode(ProgressJob.self, #"{"province_id": 10, "phase_id": 2}"#)
        #expect(read.provinceID == 10 && read.phaseID == 2 && read.indicatorID == nil)
        #expect(try Self.decode(PruneJobsJob.self, #"{"retention_days": 3}"#).retentionDays == 3)
        #expect(try Self.decode(PruneTokensJob.self, "{}").retentionDays == nil)
        #expect(PruneJobsJob().json == "{}" && PruneJobsJob.kind == "jobs.prune" && PruneTokensJob.kind == "tokens.prune")
    }
}

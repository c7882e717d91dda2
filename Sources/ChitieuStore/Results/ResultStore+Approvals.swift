public import ChitieuDomain
public import Foundation
import Postgres

/// What became of one result of an approval of many.
public enum ApprovalOutcome: Sendable, Hashable {
    /// Approved: the result is at this version now.
    case approved(version: Int)
    /// The result changed since the version named (it is at `current`); nothing done.
    case staleVersion(current: Int)
    /// The caller may not approve it, or its state does not allow it; why.
    case notAllowed(String)
    /// No such result in the caller's province and scope.
    case notFound
}

extension ResultStore {
    /// The most results approved at once.
    public static let approvalBatchLimit = 500

    /// Approves several results, each at the version the caller reviewed, in one transaction:
    /// every result gets its outcome, the approvals allowed are made (with an audit event each)
    /// and the others change nothing; completion is recomputed once per indicator and phase.
    /// Two round trips, whatever the number: the results read and locked with BEGIN, the writes
    /// with COMMIT.
    public func approve(province: Int64, _ items: [(id: UUID, version: Int)], caller: Caller) async throws -> [(id: UUID, outcome: ApprovalOutcome)] {
        guard (1...Self.approvalBatchLimit).contains(items.count) else {
            throw ChitieuError(.invalid, field: "results", reason: "must list 1 to \(Self.approvalBatchLimit) results, not \(items.count)")
        }
        var seen: Set<UUID> = []
        for (index, item) in items.enumerated() where !seen.insert(item.id).inserted {
            throw ChitieuError(.invalid, field: "results[\(index)].id", reason: "lists \(item.id.uuidString.lowercased()) a second time")
        }
        return try await database.withTenant(province, opening: Self.moveStatements(items.map(\.id), province: province)) { tx, rows in
            let read = try Self.MoveRead(rows)
            let found = Dictionary(uniqueKeysWithValues: read.results.map { ($0.id, $0) })
            var outcomes: [(id: UUID, outcome: ApprovalOutcome)] = []
            var writes: [PostgresQuery] = []
            var recompute: Set<[Int64]> = []
            for item in items {
                guard let before = found[item.id], let standing = read.standing(of: before, request: .approve) else {
                    outcomes.append((item.id, .notFound))
                    continue
                }
                switch ResultRules.decide(
                    .approve, expectedVersion: item.version, on: standing, by: caller.principal, account: caller.actor.accountID, provinceID: province)
                {
                case .failure(.notFound): outcomes.append((item.id, .notFound))
                case .failure(.staleVersion(_, let current)): outcomes.append((item.id, .staleVersion(current: current)))
                case .failure(.conflict(_, let reason)): outcomes.append((item.id, .notAllowed(reason)))
                case .failure(let refusal): outcomes.append((item.id, .notAllowed("\(Self.error(refusal))")))
                case .success(let verdict):
                    outcomes.append((item.id, .approved(version: before.version + 1)))
                    writes += Self.writeStatements(.approve, verdict: verdict, before: before, caller: caller, province: province)
                    for phase in read.phases(of: before.periodEnd.year) { recompute.insert([before.indicatorID, phase]) }
                }
            }
            // The jobs in one order, so that two batches lock the pending jobs in one order.
            let jobs = recompute.sorted { $0.lexicographicallyPrecedes($1) }.flatMap {
                Self.progressJobs(indicatorID: $0[0], phases: [$0[1]], province: province)
            }
            if !writes.isEmpty { _ = try await tx.commit(after: writes + jobs) }
            return outcomes
        }
    }
}

import ChitieuDomain
import Foundation
import Postgres

extension ImportStore {
    /// The two statements that write checked results with their audit events, sent together with
    /// the commit. The rows go as arrays (`unnest`); a row whose key a result carries already is
    /// left (`ON CONFLICT DO NOTHING`, also when a second import of the file commits first). The
    /// second statement gives each result the first one wrote (its id made here, so found by
    /// its key) the audit event a single submission writes. Two statements rather than a writing
    /// CTE, and each with `ON CONFLICT`: on Citus an `INSERT … SELECT` that is not one shard's
    /// runs through the coordinator, which copies the rows into the shards with COPY — refused
    /// under row-level security — unless the statement has an `ON CONFLICT` clause, which makes it
    /// insert them from an intermediate result instead (an event's id is new, so the second one's
    /// clause never fires). The first one's count is the results written.
    static func insert(_ rows: [CheckedResult], submit: Bool, caller: Caller, province: Int64) -> [PostgresQuery] {
        let state: ResultRules.State = submit ? .submitted : .draft
        let ids = rows.map { _ in UUID() }
        let after = rows.map { row in
            ResultStore.json(
                indicator: row.rules.code, unit: row.unit.code, periodStart: row.input.periodStart, periodEnd: row.input.periodEnd,
                figures: row.input.figures, state: state, version: 1, returnReason: nil)
        }
        let actor = caller.actor
        let results: PostgresQuery = """
            INSERT INTO chitieu.result (province_id, result_id, indicator_id, unit_id, period_start, period_end, value, breakdown,
                companion_value, evidence_note, state, idempotency_key, idempotency_fingerprint, created_by, last_edited_by,
                submitted_at, submitted_by, companion_breakdown)
            SELECT \(province), i.result_id, i.indicator_id, i.unit_id, i.period_start, i.period_end, i.value, i.breakdown::jsonb,
                   i.companion_value, i.evidence_note, \(state.rawValue), i.idempotency_key, i.fingerprint, \(actor.accountID)::uuid,
                   \(actor.accountID)::uuid, CASE WHEN \(submit) THEN now() END, CASE WHEN \(submit) THEN \(actor.accountID)::uuid END,
                   i.companion_breakdown::jsonb
            FROM unnest(
                \(ids)::uuid[], \(rows.map(\.input.indicatorID))::bigint[], \(rows.map(\.unit.id))::bigint[],
                \(rows.map(\.input.periodStart))::date[], \(rows.map(\.input.periodEnd))::date[], \(rows.map(\.input.figures.value))::bigint[],
                \(rows.map { ResultStore.breakdownJSON($0.input.figures) })::text[], \(rows.map(\.input.figures.companionValue))::bigint[],
                \(rows.map { ResultStore.companionBreakdownJSON($0.input.figures) })::text[], \(rows.map(\.input.figures.evidenceNote))::text[],
                \(rows.map(\.key))::text[], \(rows.map(\.fingerprint))::bytea[]
            ) AS i(result_id, indicator_id, unit_id, period_start, period_end, value, breakdown, companion_value, companion_breakdown,
                   evidence_note, idempotency_key, fingerprint)
            ON CONFLICT (province_id, idempotency_key) DO NOTHING
            """
        let events: PostgresQuery = """
            INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, via, request_id, action, entity_type, entity_id, unit_id, after)
            SELECT r.province_id, \(actor.accountID)::uuid, \(actor.label), \(actor.via.rawValue), \(actor.requestID), \(submit ? "result.submit" : "result.create"),
                   'result', r.result_id::text, r.unit_id, i.after::jsonb
            FROM unnest(\(ids)::uuid[], \(rows.map(\.key))::text[], \(after)::text[]) AS i(result_id, idempotency_key, after)
            JOIN chitieu.result r ON r.province_id = \(province) AND r.idempotency_key = i.idempotency_key AND r.result_id = i.result_id
            ON CONFLICT DO NOTHING
            """
        return [results, events]
    }
}

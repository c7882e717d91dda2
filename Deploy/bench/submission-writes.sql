-- pgbench: the writes of one result submission alone, for the floor under any way of making
-- them: no read, no check, one round trip (BEGIN, the province, the result read back with its
-- names, its audit event, its progress job, COMMIT). What the daemon adds to this (the checks'
-- reads, a second round trip, HTTP, JSON, authentication) is what bench-api's ratio measures;
-- the rate of this script bounds any daemon that keeps row-level security, audit and the job.
-- Same officers (bench_client) and statements as submission.sql.
\set n random(1, :clients)
\set quarter random(0, 3)
\set value random(0, 5)
SELECT province_id AS p, unit_id AS u, indicator_id AS i, account_id AS a, phase_id FROM bench_client WHERE n = :n \gset
\startpipeline
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT chitieu.use_province(:p);
WITH r AS (
    INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, breakdown,
        companion_value, evidence_note, state, idempotency_key, idempotency_fingerprint, created_by,
        submitted_at, submitted_by)
    VALUES (:p, :i, :u, make_date(2025, 3 * :quarter::int + 1, 1), make_date(2025, 3 * :quarter::int + 1, 1) + interval '3 months' - interval '1 day', :value,
        NULL::jsonb, NULL, 'Biên bản họp tổ', 'submitted',
        NULL, sha256((:n::text || '-' || clock_timestamp())::bytea), :a::uuid,
        CASE WHEN true THEN now() END, CASE WHEN true THEN :a::uuid END)
    RETURNING *
)
SELECT r.result_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
    r.period_start, r.period_end, r.value, r.breakdown::text AS breakdown, r.companion_value, r.evidence_note, r.state,
    r.return_reason, r.version, r.created_at, r.submitted_at, r.decided_at, r.updated_at, r.submitted_by, r.decided_unit_id,
    u.valid_to AS unit_valid_to, coalesce(u.valid_to < current_date, false) AS unit_ended
FROM r
JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
JOIN chitieu.admin_unit u ON u.province_id = r.province_id AND u.unit_id = r.unit_id;
INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, via, request_id, action, entity_type, entity_id,
                                 unit_id, before, after)
VALUES (:p, :a::uuid, 'bench', 'api', gen_random_uuid(), 'result.submit', 'result', gen_random_uuid()::text, :u, NULL::jsonb,
        jsonb_build_object('indicator', 'DA8-01', 'unit', 'bench', 'state', 'submitted', 'value', :value::bigint, 'version', 1,
                           'period_start', '2025-01-01', 'period_end', '2025-03-31'));
SELECT job_id, coalesced FROM chitieu.enqueue_job('progress', :p, format('progress%s%s%s%s%s%s', chr(58), :p::bigint, chr(58), :phase_id::bigint, chr(58), :i::bigint),
    jsonb_build_object('province_id', :p::bigint, 'phase_id', :phase_id::bigint, 'indicator_id', :i::bigint), 1::smallint, NULL::timestamptz, 5);
COMMIT;
\endpipeline

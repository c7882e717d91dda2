-- pgbench: the SQL of one result submission over the API, statement for statement and round trip
-- for round trip, as the daemon sends it once the officer's token is kept in its memory (checked
-- once a minute, not per request). Two round trips: BEGIN, the province, the unit, its path, the
-- indicator's rules, the deadline and the year's phases; then the insert, read back with its
-- names, the audit event, the progress job (chitieu.enqueue_job: inserted, or the pending one
-- locked) and COMMIT.
-- Runs as chitieu_app under row-level security, with prepared statements (-M prepared) as the
-- daemon does. bench_client holds the officers the HTTP run uses; the lookup of the officer and
-- of the phase's id (the daemon has them from the request and the first round trip) is
-- pgbench's own. The daemon makes the result's id itself and names it in the audit event;
-- pgbench, which cannot, lets the table make it and names another id of the same length.
\set n random(1, :clients)
\set quarter random(0, 3)
\set value random(0, 5)
SELECT province_id AS p, unit_id AS u, indicator_id AS i, account_id AS a, phase_id FROM bench_client WHERE n = :n \gset
\startpipeline
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT chitieu.use_province(:p);
SELECT unit_id, level, code, name, valid_from, valid_to, coalesce(valid_to < current_date, false) AS ended
FROM chitieu.admin_unit WHERE province_id = :p AND unit_id = :u;
SELECT chitieu.unit_path(:p, :u);
SELECT code, reporting_levels, disaggregation::text, companion_measure, CASE WHEN status = 'suspended' THEN suspended_from END,
       (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS today, companion_disaggregation::text
FROM chitieu.indicator WHERE province_id = :p AND indicator_id = :i;
SELECT coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = :p AND year = 2025),
                make_date(2025 + 1, 1, 25)) AS closes_on,
       (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date > coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = :p AND year = 2025),
                make_date(2025 + 1, 1, 25)) AS closed;
SELECT phase_id FROM chitieu.phase WHERE province_id = :p AND first_year <= 2025 AND last_year >= 2025 ORDER BY phase_id;
\endpipeline
\startpipeline
WITH r AS (
    INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, breakdown,
        companion_value, evidence_note, state, idempotency_key, idempotency_fingerprint, created_by,
        submitted_at, submitted_by, companion_breakdown)
    VALUES (:p, :i, :u, make_date(2025, 3 * :quarter::int + 1, 1), make_date(2025, 3 * :quarter::int + 1, 1) + interval '3 months' - interval '1 day', :value,
        NULL::jsonb, NULL, 'Biên bản họp tổ', 'submitted',
        NULL, sha256((:n::text || '-' || clock_timestamp())::bytea), :a::uuid,
        CASE WHEN true THEN now() END, CASE WHEN true THEN :a::uuid END,
        NULL::jsonb)
    RETURNING *
)
SELECT r.result_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
    r.period_start, r.period_end, r.value, r.breakdown::text AS breakdown, r.companion_value, r.evidence_note, r.state,
    r.return_reason, r.version, r.created_at, r.submitted_at, r.decided_at, r.updated_at, r.submitted_by, r.decided_unit_id,
    u.valid_to AS unit_valid_to, coalesce(u.valid_to < current_date, false) AS unit_ended, r.companion_breakdown::text AS companion_breakdown
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

-- pgbench: the SQL of one result submission over the API, statement for statement, as the daemon
-- sends it (captured with log_statement = all): the token's check in one statement of its own,
-- then the submission's transaction — policy lookups, deadline, insert, audit event, job enqueue.
-- The daemon sends BEGIN and the province in one round trip; pgbench sends them as two.
-- Runs as chitieu_app under row-level security, with prepared statements (-M prepared) as the
-- daemon does. bench_client holds the officers the HTTP run uses.
\set n random(1, :clients)
\set quarter random(0, 3)
\set value random(0, 5)
SELECT province_id AS p, unit_id AS u, indicator_id AS i, account_id AS a, token_hash AS h FROM bench_client WHERE n = :n \gset
SELECT * FROM chitieu.check_token(:p, :h::bytea);
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT chitieu.use_province(:p);
SELECT unit_id, level FROM chitieu.admin_unit WHERE province_id = :p AND unit_id = :u;
WITH RECURSIVE up AS (
    SELECT unit_id, parent_id, 0 AS depth FROM chitieu.admin_unit
    WHERE province_id = :p AND unit_id = :u
  UNION ALL
    SELECT u.unit_id, u.parent_id, up.depth + 1 FROM chitieu.admin_unit u
    JOIN up ON u.province_id = :p AND u.unit_id = up.parent_id
    WHERE up.depth < 10
)
SELECT unit_id FROM up ORDER BY depth DESC;
SELECT code, reporting_levels, disaggregation::text, companion_measure, CASE WHEN status = 'suspended' THEN suspended_from END,
       (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS today
FROM chitieu.indicator WHERE province_id = :p AND indicator_id = :i;
SELECT coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = :p AND year = 2025),
                make_date(2025 + 1, 1, 25)) AS closes_on,
       (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date > coalesce((SELECT closes_on FROM chitieu.reporting_deadline WHERE province_id = :p AND year = 2025),
                make_date(2025 + 1, 1, 25)) AS closed;
INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, breakdown,
    companion_value, evidence_note, state, idempotency_key, idempotency_fingerprint, created_by,
    submitted_at, submitted_by)
VALUES (:p, :i, :u, make_date(2025, 3 * :quarter::int + 1, 1), make_date(2025, 3 * :quarter::int + 1, 1) + interval '3 months' - interval '1 day', :value,
    NULL::jsonb, NULL, 'Biên bản họp tổ', 'submitted',
    NULL, sha256((:n::text || '-' || clock_timestamp())::bytea), :a::uuid,
    CASE WHEN true THEN now() END, CASE WHEN true THEN :a::uuid END)
RETURNING result_id \gset r_
SELECT r.result_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
r.period_start, r.period_end, r.value, r.breakdown::text AS breakdown, r.companion_value, r.evidence_note, r.state,
r.return_reason, r.version, r.created_at, r.submitted_at, r.decided_at, r.updated_at FROM chitieu.result r
JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
JOIN chitieu.admin_unit u ON u.province_id = r.province_id AND u.unit_id = r.unit_id WHERE r.province_id = :p AND r.result_id = :r_result_id;
INSERT INTO chitieu.audit_event (province_id, actor_id, actor_label, via, request_id, action, entity_type, entity_id,
                                 unit_id, before, after)
VALUES (:p, :a::uuid, 'bench', 'api', gen_random_uuid(), 'result.submit',
        'result', :r_result_id, :u, NULL::jsonb,
        jsonb_build_object('unit', :u::bigint, 'state', 'submitted', 'value', :value::bigint, 'version', 1, 'evidence_note', 'Biên bản họp tổ'));
SELECT phase_id FROM chitieu.phase
WHERE province_id = :p AND first_year <= 2025 AND last_year >= 2025 \gset
WITH inserted AS (
    INSERT INTO chitieu.job (kind, province_id, unique_key, args, priority, run_at, max_attempts)
    VALUES ('progress', :p, format('progress%s%s%s%s%s%s', chr(58), :p::bigint, chr(58), :phase_id::bigint, chr(58), :i::bigint),
            jsonb_build_object('province_id', :p::bigint, 'phase_id', :phase_id::bigint, 'indicator_id', :i::bigint), 1, coalesce(NULL, now()), 5)
    ON CONFLICT (unique_key) WHERE state = 'pending' AND unique_key IS NOT NULL DO NOTHING
    RETURNING job_id
), notified AS (
    SELECT pg_notify('chitieu_jobs', 'progress') FROM inserted
)
SELECT job_id FROM inserted, (SELECT count(*) FROM notified) n;
SELECT job_id FROM chitieu.job WHERE unique_key = format('progress%s%s%s%s%s%s', chr(58), :p::bigint, chr(58), :phase_id::bigint, chr(58), :i::bigint) AND state = 'pending' FOR UPDATE;
COMMIT;

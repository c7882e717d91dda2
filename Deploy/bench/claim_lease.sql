-- The floor of a queue shaped as chitieu's: one statement records the batch the client ran
-- as done and claims the next batch of due jobs under a lease (running, attempt counted,
-- worker named, lease end), returning their ids for the next round. No fairness between
-- provinces, no columns beyond the ids, no handler. pgbench runs it with -M prepared,
-- -D ids='{}' and -D batch=N; :ids carries each client's batch to its next transaction.
WITH done AS (
    UPDATE chitieu.job SET state = 'succeeded', finished_at = now(), lease_until = NULL
    WHERE job_id = ANY(:ids::bigint[]) AND worker = 'pgbench' AND state = 'running'
), claimed AS (
    SELECT job_id FROM chitieu.job
    WHERE state = 'pending' AND province_id IS NULL AND run_at <= now()
    ORDER BY priority DESC, run_at, job_id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), taken AS (
    UPDATE chitieu.job j SET state = 'running', attempts = j.attempts + 1, worker = 'pgbench',
           lease_until = now() + interval '30 seconds'
    FROM claimed WHERE j.job_id = claimed.job_id
    RETURNING j.job_id
)
SELECT coalesce(array_agg(job_id), '{}')::text AS ids FROM taken \gset

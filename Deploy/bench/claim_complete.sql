-- The lowest floor of a PostgreSQL job queue: claim a batch of due jobs and mark them done in
-- one statement, with no handler, no lease and no second round trip. pgbench runs it (-D
-- batch=N), one or more clients at once, to drain the same 100,000 no-op jobs chitieu-bench
-- jobs drains.
WITH claimed AS (
    SELECT job_id FROM chitieu.job
    WHERE state = 'pending' AND province_id IS NULL AND run_at <= now()
    ORDER BY priority DESC, run_at, job_id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
UPDATE chitieu.job j SET state = 'succeeded', attempts = j.attempts + 1, finished_at = now()
FROM claimed WHERE j.job_id = claimed.job_id;

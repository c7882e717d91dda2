-- chitieu 0006: recurring jobs. Workers enqueue a schedule's job when it falls due (at most
-- one pending per schedule) and move the schedule to its next time.
CREATE TABLE chitieu.job_schedule (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    kind        text NOT NULL,
    args        jsonb NOT NULL DEFAULT '{}',
    every       interval NOT NULL CHECK (every >= interval '1 minute'),
    next_run_at timestamptz NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    last_enqueued_at timestamptz
);
COMMENT ON TABLE chitieu.job_schedule IS 'Recurring jobs: kind and arguments, period, next run.';
GRANT SELECT, UPDATE ON chitieu.job_schedule TO chitieu_app;

-- Finished jobs are pruned every night at 03:00 Vietnam time, keeping two weeks.
INSERT INTO chitieu.job_schedule (name, kind, args, every, next_run_at)
VALUES ('jobs.prune', 'jobs.prune', '{"retention_days": 14}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 3 hours') AT TIME ZONE 'Asia/Ho_Chi_Minh');

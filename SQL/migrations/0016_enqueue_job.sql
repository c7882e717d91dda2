-- chitieu.enqueue_job: a job added in the caller's transaction, in one statement that always
-- ends with a job for the change. Without a unique key, or with none pending under it, the job
-- is inserted and workers are woken (NOTIFY chitieu_jobs, at commit). With a pending job under
-- the key, that job absorbs this one and is locked until the transaction ends, so no worker
-- (they skip locked jobs) runs it before the change commits. When that pending job is claimed
-- between the two steps, the loop inserts again. One statement, so it can be sent in a pipeline
-- with the transaction's COMMIT.

CREATE FUNCTION chitieu.enqueue_job(
    p_kind text, p_province_id bigint, p_unique_key text, p_args jsonb, p_priority smallint, p_run_at timestamptz,
    p_max_attempts integer, OUT job_id bigint, OUT coalesced boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    LOOP
        INSERT INTO chitieu.job (kind, province_id, unique_key, args, priority, run_at, max_attempts)
        VALUES (p_kind, p_province_id, p_unique_key, p_args, p_priority, coalesce(p_run_at, now()), p_max_attempts)
        ON CONFLICT (unique_key) WHERE state = 'pending' AND unique_key IS NOT NULL DO NOTHING
        RETURNING job.job_id INTO job_id;
        IF FOUND THEN
            PERFORM pg_notify('chitieu_jobs', p_kind);
            coalesced := false;
            RETURN;
        END IF;
        SELECT j.job_id INTO job_id FROM chitieu.job j
        WHERE j.unique_key = p_unique_key AND j.state = 'pending'
        FOR UPDATE;
        IF FOUND THEN
            coalesced := true;
            RETURN;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) IS
    'Adds a job in the caller''s transaction, or locks the pending job under its unique key until the transaction ends.';
REVOKE ALL ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) TO chitieu_app;

-- chitieu.announce_figures (0015) is for the daemon's role and the owner only, as the other
-- functions of the schema.
REVOKE ALL ON FUNCTION chitieu.announce_figures(bigint) FROM PUBLIC;

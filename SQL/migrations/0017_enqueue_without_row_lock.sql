-- chitieu 0017: a change that coalesces into a pending job no longer locks the job's row.
--
-- Until now (0016) an enqueue that found a job pending under its key locked that job's row
-- until its transaction ended, so that no worker could start the job before the change it
-- stands for was committed. The lock was right but exclusive: every officer of a province
-- submitting a result for the same indicator queued behind the one before, down to its
-- COMMIT, and each lock was a write (WAL and a dirtied page of the queue).
--
-- Now the enqueuer takes a shared advisory lock on the key, held until its transaction ends;
-- enqueuers share it, so they no longer wait for each other, and it writes nothing. A worker
-- that claims a job under a key learns in the same statement whether an enqueuer still holds
-- the key (chitieu.enqueuers_open, which never waits), and if so waits for them to end before
-- it starts the job (chitieu.await_enqueuers); both hold the key no longer than their own
-- transaction. An enqueuer that comes after the claim finds no pending job (its insert waits
-- for the claiming transaction, then goes through) and enqueues a new one. Keys are
-- (1667919714, hashtext(unique_key)): the first number ('cjob' in ASCII) keeps them apart from
-- other advisory locks; two keys sharing a hash only wait for each other needlessly.
--
-- chitieu.requeue_job puts a failed job back to pending, or cancels it when a newer job is
-- pending under its key, which the unique index refused until now.

CREATE OR REPLACE FUNCTION chitieu.enqueue_job(
    p_kind text, p_province_id bigint, p_unique_key text, p_args jsonb, p_priority smallint, p_run_at timestamptz,
    p_max_attempts integer, OUT job_id bigint, OUT coalesced boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    IF p_unique_key IS NOT NULL THEN
        -- Before looking for a pending job: a claim that has not seen this lock has already
        -- taken the job out of the pending ones, and the insert below waits for it.
        PERFORM pg_advisory_xact_lock_shared(1667919714, hashtext(p_unique_key));
    END IF;
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
        SELECT j.job_id INTO job_id FROM chitieu.job j WHERE j.unique_key = p_unique_key AND j.state = 'pending';
        IF FOUND THEN
            coalesced := true;
            RETURN;
        END IF;
        -- Claimed in between (that worker waits for this transaction): a new job, for its id.
    END LOOP;
END
$$;
COMMENT ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) IS
    'Adds a job in the caller''s transaction, or joins the pending job under its unique key, holding the key until the transaction ends.';

-- Is a transaction that enqueued under this key still open? Asked by a claim for each job it
-- takes, inside the claim's transaction; it never waits. A free key stays taken until the claim
-- commits (enqueuers arriving meanwhile wait that long), so no lock outlives the transaction,
-- whatever interrupts it.
CREATE FUNCTION chitieu.enqueuers_open(p_unique_key text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    SELECT p_unique_key IS NOT NULL AND NOT pg_try_advisory_xact_lock(1667919714, hashtext(p_unique_key))
$$;
COMMENT ON FUNCTION chitieu.enqueuers_open(text) IS
    'True while a transaction that enqueued under the key is open (the worker then waits with chitieu.await_enqueuers).';

-- Waits until every transaction that enqueued under the key before this call has ended. Run as
-- a statement of its own: the key is released when it ends. Enqueuers arriving meanwhile queue
-- behind the wait, which lasts as long as the oldest of those transactions.
CREATE FUNCTION chitieu.await_enqueuers(p_unique_key text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(1667919714, hashtext(p_unique_key))
$$;
COMMENT ON FUNCTION chitieu.await_enqueuers(text) IS
    'Returns once every transaction that enqueued under the key before the call has ended (run it as a statement of its own).';

-- A job that failed, or whose worker stopped, goes back to pending to be tried again, unless
-- a newer job is already pending under its key: that one will do the same work, so this one
-- is cancelled, naming it (two jobs cannot be pending under one key). Returns the newer job's
-- id, or NULL when this one is pending again.
CREATE FUNCTION chitieu.requeue_job(p_job_id bigint, p_run_at timestamptz, p_error text, OUT superseded_by bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_key text;
BEGIN
    SELECT j.unique_key INTO v_key FROM chitieu.job j WHERE j.job_id = p_job_id;
    IF v_key IS NOT NULL THEN
        SELECT j.job_id INTO superseded_by FROM chitieu.job j WHERE j.unique_key = v_key AND j.state = 'pending';
    END IF;
    IF superseded_by IS NULL THEN
        BEGIN
            UPDATE chitieu.job SET state = 'pending', run_at = p_run_at, lease_until = NULL, worker = NULL, last_error = p_error
            WHERE job_id = p_job_id;
            RETURN;
        EXCEPTION WHEN unique_violation THEN
            -- A job enqueued under the key since the look above.
            SELECT j.job_id INTO superseded_by FROM chitieu.job j WHERE j.unique_key = v_key AND j.state = 'pending';
        END;
    END IF;
    UPDATE chitieu.job SET state = 'cancelled', finished_at = now(), lease_until = NULL,
           last_error = left(p_error, 3900) || ' (superseded by job ' || superseded_by || ', pending under the same key)'
    WHERE job_id = p_job_id;
END
$$;
COMMENT ON FUNCTION chitieu.requeue_job(bigint, timestamptz, text) IS
    'Puts a job back to pending for another attempt, or cancels it in favour of a newer job pending under its key.';

REVOKE ALL ON FUNCTION chitieu.enqueuers_open(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chitieu.await_enqueuers(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chitieu.requeue_job(bigint, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.enqueuers_open(text) TO chitieu_app;
GRANT EXECUTE ON FUNCTION chitieu.await_enqueuers(text) TO chitieu_app;
GRANT EXECUTE ON FUNCTION chitieu.requeue_job(bigint, timestamptz, text) TO chitieu_app;

-- Functions: re-applied, with the other re-runnable files, whenever one of them changes.
--
-- A function that changes lives here and is changed here, not copied into a new migration (see
-- SQL/README.md). The baseline holds none of these: a new database runs it, then this file
-- gives the current definition. CREATE OR REPLACE keeps a
-- function's privileges and whatever depends on it (views, policies); the grants below state them
-- anyway.

-- The units above a unit, from the top: its parents, and over a predecessor province's own unit
-- the province that took it over. It runs on every access check: in PL/pgSQL its recursive query
-- keeps its plan for the session (as an SQL function it was planned anew at each call).
CREATE OR REPLACE FUNCTION chitieu.unit_path(p_province_id bigint, p_unit_id bigint)
RETURNS bigint[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        WITH RECURSIVE up AS (
            SELECT u.unit_id, u.parent_id, u.level, 0 AS depth FROM chitieu.admin_unit u
            WHERE u.province_id = p_province_id AND u.unit_id = p_unit_id
          UNION ALL
            SELECT n.unit_id, n.parent_id, n.level, up.depth + 1
            FROM up
            JOIN LATERAL (
                SELECT p.unit_id, p.parent_id, p.level FROM chitieu.admin_unit p
                WHERE p.province_id = p_province_id AND p.unit_id = up.parent_id
              UNION ALL
                SELECT t.unit_id, t.parent_id, t.level FROM chitieu.unit_succession s
                JOIN chitieu.admin_unit t ON t.province_id = p_province_id AND t.unit_id = s.to_unit_id AND t.level = 'province'
                WHERE up.parent_id IS NULL AND up.level = 'province' AND s.province_id = p_province_id AND s.from_unit_id = up.unit_id
            ) n ON true
            WHERE up.depth < 12
        )
        SELECT array_agg(unit_id ORDER BY depth DESC) FROM up
    );
END
$$;
COMMENT ON FUNCTION chitieu.unit_path(bigint, bigint) IS
    'The unit and the units above it, from the top; a predecessor province''s own unit sits under the province that took it over.';

-- Units under the given units (themselves included) to a depth, a merged province's
-- predecessors' own units counting as its children. Called in a statement of its own, never
-- inside a query on tenant tables: on Citus such a query runs on one worker, where the function
-- would read an empty placeholder (a query that needs the scope in the same statement writes the
-- recursion in, province_id filtered in both terms). In PL/pgSQL, not SQL, so that it is never
-- inlined into the caller's query.
CREATE OR REPLACE FUNCTION chitieu.unit_scope(p_province_id bigint, p_roots bigint[], p_depth int DEFAULT 10)
RETURNS TABLE (unit_id bigint, depth int)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE scope AS (
        SELECT u.unit_id, 0 AS depth FROM chitieu.admin_unit u
        WHERE u.province_id = p_province_id AND u.unit_id = ANY(p_roots)
      UNION ALL
        SELECT s.from_unit_id, 1 FROM chitieu.unit_succession s
        JOIN chitieu.admin_unit f ON f.province_id = p_province_id AND f.unit_id = s.from_unit_id AND f.parent_id IS NULL
        WHERE s.province_id = p_province_id AND s.to_unit_id = ANY(p_roots) AND p_depth >= 1
      UNION
        SELECT u.unit_id, s.depth + 1 FROM chitieu.admin_unit u
        JOIN scope s ON u.province_id = p_province_id AND u.parent_id = s.unit_id
        WHERE u.province_id = p_province_id AND s.depth < p_depth
    )
    SELECT scope.unit_id, min(scope.depth)::int FROM scope GROUP BY scope.unit_id;
END
$$;
COMMENT ON FUNCTION chitieu.unit_scope(bigint, bigint[], int) IS
    'Units under the given units (themselves included) to a depth, a merged province''s predecessors'' own units counting as its children.';

-- A bearer token checked in one statement, without a transaction of its own: the function sets
-- the province for the statement's own transaction, marks the token used (at most once a
-- minute), and returns the token's state and expiry, its account, the account's current grants
-- and the province's setting. Row-level security applies as to any other statement of the daemon.
-- A daemon that keeps verified tokens in memory for a short while knows when each one ends;
-- changes to what a token stands for are announced by the application
-- (chitieu.announce_change('chitieu_auth', province)) in the transaction that makes them.
CREATE OR REPLACE FUNCTION chitieu.check_token(p_province_id bigint, p_token_hash bytea)
RETURNS TABLE (
    token_id uuid, token_hash bytea, expired boolean, revoked boolean, expires_at timestamptz,
    account_id uuid, province_id bigint, username text, display_name text, status text, home_unit_id bigint, created_at timestamptz,
    grant_roles text[], grant_units bigint[], district_allocation boolean
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM chitieu.use_province(p_province_id);
    UPDATE chitieu.api_token t SET last_used_at = now()
    WHERE t.province_id = p_province_id AND t.token_hash = p_token_hash
      AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
      AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute');
    RETURN QUERY
    SELECT t.token_id, t.token_hash, t.expires_at <= now(), t.revoked_at IS NOT NULL, t.expires_at,
           a.account_id, a.province_id, a.username, a.display_name::text, a.status, a.home_unit_id, a.created_at,
           -- The grants in force today: roles and units in the same order. Scalar subqueries, not
           -- an outer join ON true, which Citus refuses on PostgreSQL 15 and 16.
           coalesce((SELECT array_agg(r.role ORDER BY r.grant_id) FROM chitieu.role_grant r
                     WHERE r.province_id = p_province_id AND r.account_id = t.account_id AND r.revoked_at IS NULL
                       AND r.valid_from <= current_date AND (r.valid_to IS NULL OR r.valid_to >= current_date)), '{}'),
           coalesce((SELECT array_agg(r.unit_id ORDER BY r.grant_id) FROM chitieu.role_grant r
                     WHERE r.province_id = p_province_id AND r.account_id = t.account_id AND r.revoked_at IS NULL
                       AND r.valid_from <= current_date AND (r.valid_to IS NULL OR r.valid_to >= current_date)), '{}'),
           (SELECT p.district_allocation FROM chitieu.province p WHERE p.province_id = p_province_id)
    FROM chitieu.api_token t JOIN chitieu.account a ON a.province_id = p_province_id AND a.account_id = t.account_id
    WHERE t.province_id = p_province_id AND t.token_hash = p_token_hash;
END
$$;
COMMENT ON FUNCTION chitieu.check_token(bigint, bytea) IS
    'A bearer token''s state and expiry, account, current grants and province setting, in one statement; marks it used at most once a minute.';
REVOKE ALL ON FUNCTION chitieu.check_token(bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.check_token(bigint, bytea) TO chitieu_app;

-- A job added in the caller's transaction, in one statement that always ends with a job for the
-- change (so it can be sent in a pipeline with the transaction's COMMIT). Without a unique key, or
-- with none pending under it, the job is inserted and workers are woken (NOTIFY chitieu_jobs, at
-- commit). With a pending job under the key, that job absorbs this one. The enqueuer holds a
-- shared advisory lock on the key until its transaction ends (enqueuers share it and write
-- nothing); a worker that claims a job under the key waits for them (chitieu.enqueuers_open,
-- chitieu.await_enqueuers) before it starts the job. Keys are (1667919714, hashtext(unique_key)):
-- the first number ('cjob' in ASCII) keeps them apart from other advisory locks.
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
REVOKE ALL ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.enqueue_job(text, bigint, text, jsonb, smallint, timestamptz, integer) TO chitieu_app;

-- Completion figures kept in daemons' memory: every change to what a progress answer depends on
-- is announced in the transaction that makes it (chitieu.compute_progress, unit imports, province
-- merges), by bumping the province's epoch on the channel chitieu_figures.
CREATE OR REPLACE FUNCTION chitieu.announce_figures(p_province_id bigint)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT chitieu.announce_change('chitieu_figures', p_province_id)
$$;
COMMENT ON FUNCTION chitieu.announce_figures(bigint) IS
    'Tells every daemon that the province''s completion figures or units changed (at commit).';
REVOKE ALL ON FUNCTION chitieu.announce_figures(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.announce_figures(bigint) TO chitieu_app;

-- The rank of an administrative level from the top, the order officers read units in: province 0,
-- district 1, commune 2, village 3. An SQL expression the planner inlines where it is called.
CREATE OR REPLACE FUNCTION chitieu.level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_level WHEN 'province' THEN 0 WHEN 'district' THEN 1 WHEN 'commune' THEN 2 ELSE 3 END
$$;
COMMENT ON FUNCTION chitieu.level_rank(text) IS 'Rank of an administrative level from the top: province 0, district 1, commune 2, village 3.';
REVOKE ALL ON FUNCTION chitieu.level_rank(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.level_rank(text) TO chitieu_app, chitieu_reporting;

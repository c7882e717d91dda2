-- chitieu 0008: results as units report them, reporting deadlines, and completion computed in
-- the database by jobs.

-- Results: the year a result counts in (a period never spans two years), who submitted it,
-- when it last changed, and the fingerprint of the request an idempotency key first came with.
ALTER TABLE chitieu.result ADD COLUMN year smallint GENERATED ALWAYS AS (extract(year FROM period_end)::smallint) STORED;
ALTER TABLE chitieu.result ADD CONSTRAINT result_within_one_year CHECK (extract(year FROM period_start) = extract(year FROM period_end));
ALTER TABLE chitieu.result ADD COLUMN submitted_by uuid;
ALTER TABLE chitieu.result ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE chitieu.result ADD COLUMN idempotency_fingerprint bytea;
ALTER TABLE chitieu.result ADD COLUMN decided_unit_id bigint;
COMMENT ON COLUMN chitieu.result.decided_unit_id IS 'The unit of the role that approved: only that level, or one above it, corrects the result.';
ALTER TABLE chitieu.result ADD CONSTRAINT result_evidence_clean CHECK (evidence_note IS NULL OR evidence_note IS NORMALIZED);
CREATE INDEX result_counted ON chitieu.result (province_id, indicator_id, year, unit_id) WHERE state IN ('approved', 'submitted');
CREATE INDEX result_by_unit ON chitieu.result (province_id, unit_id, created_at);
COMMENT ON COLUMN chitieu.result.year IS 'The year the result counts in (that of period_end).';
COMMENT ON COLUMN chitieu.result.version IS 'Raised by every change; an update naming an older version is refused (409).';

-- Deadlines: a year's results close on closes_on (default 25 January of the next year);
-- the province may reopen reporting for a unit (and its subtree) until a date, with a reason.
CREATE TABLE chitieu.reporting_deadline (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    year        smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    closes_on   date NOT NULL,
    set_by      uuid,
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, year),
    CHECK (extract(year FROM closes_on) >= year)
);
COMMENT ON TABLE chitieu.reporting_deadline IS 'Last day results of a year may be entered or submitted; default 25 January of the next year.';

CREATE TABLE chitieu.deadline_exception (
    province_id  bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    exception_id bigint GENERATED ALWAYS AS IDENTITY,
    unit_id      bigint NOT NULL,
    year         smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    reason       text NOT NULL CHECK (chitieu.is_clean_name(reason, 1000)),
    until        date NOT NULL,
    granted_by   uuid,
    granted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, exception_id),
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE
);
CREATE INDEX deadline_exception_unit ON chitieu.deadline_exception (province_id, year, unit_id);
COMMENT ON TABLE chitieu.deadline_exception IS 'Reporting reopened for a unit and its subtree after the deadline, until a date, with a reason.';

-- The last full computation of a province's phase.
CREATE TABLE chitieu.progress_run (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    phase_id    bigint NOT NULL,
    computed_at timestamptz NOT NULL,
    rows_changed integer NOT NULL,
    PRIMARY KEY (province_id, phase_id),
    FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.progress_run IS 'When completion of a phase was last computed in full, and how many figures changed.';

CREATE INDEX progress_dashboard ON chitieu.progress (province_id, phase_id, year, indicator_id, unit_id);
ALTER TABLE chitieu.progress ADD COLUMN companion bigint;
-- A rate of a million or more (a target of 1, a result of 1,000,000) must not fail the job.
ALTER TABLE chitieu.progress ALTER COLUMN rate TYPE numeric(18, 6);
-- Copies of the unit's level, code, name and parent, kept by chitieu.compute_progress, so a
-- dashboard reads one table instead of looking up every row's unit.
ALTER TABLE chitieu.progress ADD COLUMN unit_level text, ADD COLUMN unit_code text, ADD COLUMN unit_name text COLLATE chitieu.vi,
    ADD COLUMN parent_id bigint;
-- Progress is derived data that chitieu.compute_progress alone writes, from existing units,
-- indicators and phases, deleting the figures of units that left the phase. Its foreign keys
-- cost half of every recomputation's writes and guard nothing the function does not; they go.
ALTER TABLE chitieu.progress
    DROP CONSTRAINT progress_province_id_indicator_id_fkey,
    DROP CONSTRAINT progress_province_id_unit_id_fkey,
    DROP CONSTRAINT progress_province_id_phase_id_fkey;
COMMENT ON COLUMN chitieu.progress.companion IS 'The companion figure (members, participants) of the approved results, counted like achieved.';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['reporting_deadline', 'deadline_exception', 'progress_run'] LOOP
        EXECUTE format('ALTER TABLE chitieu.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE chitieu.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_scope ON chitieu.%I TO chitieu_app, %I '
            'USING (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint) '
            'WITH CHECK (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint)',
            t, current_user);
        EXECUTE format(
            'CREATE POLICY reporting_scope ON chitieu.%I FOR SELECT TO chitieu_reporting '
            'USING (pg_has_role(''chitieu_p'' || province_id, ''MEMBER''))', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON chitieu.%I TO chitieu_app', t);
        EXECUTE format('GRANT SELECT ON chitieu.%I TO chitieu_reporting', t);
    END LOOP;
END
$$;

-- The tenants' ids, for deployment-wide jobs (nightly recomputation, pruning). Runs with the
-- owner's rights, which may list the tenant catalogue; it returns ids only.
CREATE FUNCTION chitieu.tenant_ids() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, chitieu AS $$
    SELECT province_id FROM chitieu.province ORDER BY province_id
$$;
REVOKE ALL ON FUNCTION chitieu.tenant_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.tenant_ids() TO chitieu_app;

-- The share of the years first..last elapsed on p_today: 0 before, 1 after.
CREATE FUNCTION chitieu.elapsed_share(p_first int, p_last int, p_today date) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN extract(year FROM p_today) < p_first THEN 0
        WHEN extract(year FROM p_today) > p_last THEN 1
        ELSE ((extract(year FROM p_today) - p_first)
              + extract(doy FROM p_today) / extract(doy FROM make_date(extract(year FROM p_today)::int, 12, 31)))
             / (p_last - p_first + 1)
    END::numeric
$$;

-- Completion of one phase of the current province (app.province_id), for one indicator or all:
-- flow indicators sum approved results over each unit's subtree; stock indicators sum each
-- reporting unit's latest approved level; the same including submitted results beside it;
-- rate and status per unit, year and the whole phase. Writes only the figures that changed
-- and returns how many. Runs under row-level security like any other statement of the daemon.
CREATE FUNCTION chitieu.compute_progress(p_province_id bigint, p_phase_id bigint, p_indicator_id bigint, p_today date)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ph record;
    changed integer;
    removed integer;
BEGIN
    SELECT first_year, last_year INTO ph FROM chitieu.phase WHERE province_id = p_province_id AND phase_id = p_phase_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'phase % of province % not found', p_phase_id, p_province_id USING ERRCODE = '22023';
    END IF;

    WITH RECURSIVE
    units AS MATERIALIZED (
        SELECT unit_id, parent_id, level, code, name FROM chitieu.admin_unit
        WHERE province_id = p_province_id AND valid_from <= make_date(ph.last_year, 12, 31)
          AND (valid_to IS NULL OR valid_to >= make_date(ph.first_year, 1, 1))
    ),
    closure AS (
        SELECT unit_id AS ancestor, unit_id AS descendant FROM units
      UNION ALL
        SELECT u.parent_id, c.descendant FROM closure c JOIN units u ON u.unit_id = c.ancestor WHERE u.parent_id IS NOT NULL
    ),
    ind AS MATERIALIZED (
        SELECT indicator_id, kind, status FROM chitieu.indicator
        WHERE province_id = p_province_id AND (p_indicator_id IS NULL OR indicator_id = p_indicator_id)
    ),
    -- Per reporting unit and year. Flow: sums. Stock: the latest level (by period end, then
    -- decision), among approved results and among approved or submitted ones.
    yearly AS MATERIALIZED (
        SELECT r.indicator_id, r.unit_id, r.year, 'flow'::text AS kind,
               sum(r.value) FILTER (WHERE r.state = 'approved') AS achieved,
               sum(r.value) AS with_submitted,
               sum(r.companion_value) FILTER (WHERE r.state = 'approved') AS companion
        FROM chitieu.result r JOIN ind i ON i.indicator_id = r.indicator_id AND i.kind = 'flow'
        WHERE r.province_id = p_province_id AND r.state IN ('approved', 'submitted') AND r.year BETWEEN ph.first_year AND ph.last_year
        GROUP BY r.indicator_id, r.unit_id, r.year
      UNION ALL
        SELECT r.indicator_id, r.unit_id, r.year, 'stock',
               (array_agg(r.value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1],
               -- With submitted ones: the latest by period end, then by its last step (decision or submission).
               (array_agg(r.value ORDER BY r.period_end DESC, coalesce(r.decided_at, r.submitted_at) DESC NULLS LAST, r.result_id))[1],
               (array_agg(r.companion_value ORDER BY r.period_end DESC, r.decided_at DESC NULLS LAST, r.result_id) FILTER (WHERE r.state = 'approved'))[1]
        FROM chitieu.result r JOIN ind i ON i.indicator_id = r.indicator_id AND i.kind = 'stock'
        WHERE r.province_id = p_province_id AND r.state IN ('approved', 'submitted') AND r.year BETWEEN ph.first_year AND ph.last_year
        GROUP BY r.indicator_id, r.unit_id, r.year
    ),
    -- Per reporting unit, yearly figures (year key = the year) and phase figures (key 0): flow
    -- sums the years; stock takes the last year that has a level.
    base AS (
        SELECT indicator_id, unit_id, year::int AS yk, achieved, with_submitted, companion FROM yearly
      UNION ALL
        SELECT indicator_id, unit_id, 0, sum(achieved), sum(with_submitted), sum(companion)
        FROM yearly WHERE kind = 'flow' GROUP BY indicator_id, unit_id
      UNION ALL
        SELECT indicator_id, unit_id, 0,
               (array_agg(achieved ORDER BY year DESC) FILTER (WHERE achieved IS NOT NULL))[1],
               (array_agg(with_submitted ORDER BY year DESC))[1],
               (array_agg(companion ORDER BY year DESC) FILTER (WHERE achieved IS NOT NULL))[1]
        FROM yearly WHERE kind = 'stock' GROUP BY indicator_id, unit_id
    ),
    rolled AS (
        SELECT b.indicator_id, c.ancestor AS unit_id, b.yk,
               coalesce(sum(b.achieved), 0) AS achieved, coalesce(sum(b.with_submitted), 0) AS with_submitted,
               sum(b.companion) AS companion
        FROM base b JOIN closure c ON c.descendant = b.unit_id
        GROUP BY b.indicator_id, c.ancestor, b.yk
    ),
    -- Years are keyed as coalesce(year, 0), so the phase rows (year NULL) hash-join too.
    targets AS MATERIALIZED (
        SELECT t.indicator_id, t.unit_id, coalesce(t.year, 0)::int AS yk, t.value
        FROM chitieu.target t JOIN ind i ON i.indicator_id = t.indicator_id
        WHERE t.province_id = p_province_id AND t.phase_id = p_phase_id
    ),
    grid AS (
        SELECT i.indicator_id, i.status, u.unit_id, u.level, u.code, u.name, u.parent_id, y.yk
        FROM ind i CROSS JOIN units u
        CROSS JOIN (SELECT generate_series(ph.first_year::int, ph.last_year::int) AS yk UNION ALL SELECT 0) y
    ),
    figures AS MATERIALIZED (
        SELECT g.indicator_id, g.unit_id, g.level, g.code, g.name, g.parent_id, g.yk, nullif(g.yk, 0)::smallint AS year, t.value AS target,
               coalesce(r.achieved, 0) AS achieved, coalesce(r.with_submitted, 0) AS with_submitted, r.companion,
               CASE WHEN t.value > 0 THEN round(coalesce(r.achieved, 0)::numeric / t.value, 6) END AS rate,
               CASE WHEN g.status = 'suspended' THEN 'suspended'
                    WHEN t.value IS NULL OR t.value = 0 THEN 'no_target'
                    WHEN coalesce(r.achieved, 0) >= t.value THEN 'completed'
                    WHEN coalesce(r.achieved, 0) >= t.value * CASE WHEN g.yk = 0 THEN chitieu.elapsed_share(ph.first_year, ph.last_year, p_today)
                                                                   ELSE chitieu.elapsed_share(g.yk, g.yk, p_today) END THEN 'on_track'
                    ELSE 'behind' END AS status
        FROM grid g
        LEFT JOIN targets t ON t.indicator_id = g.indicator_id AND t.unit_id = g.unit_id AND t.yk = g.yk
        LEFT JOIN rolled r ON r.indicator_id = g.indicator_id AND r.unit_id = g.unit_id AND r.yk = g.yk
    ),
    current AS MATERIALIZED (
        SELECT p.indicator_id, p.unit_id, coalesce(p.year, 0)::int AS yk, p.target, p.achieved, p.achieved_with_submitted, p.companion, p.status,
               p.unit_level, p.unit_code, p.unit_name, p.parent_id
        FROM chitieu.progress p
        WHERE p.province_id = p_province_id AND p.phase_id = p_phase_id AND (p_indicator_id IS NULL OR p.indicator_id = p_indicator_id)
    ),
    -- Only what changed is written: figures compared with the current ones by a hash join.
    changes AS (
        SELECT f.*, c.indicator_id IS NOT NULL AS exists
        FROM figures f
        LEFT JOIN current c ON c.indicator_id = f.indicator_id AND c.unit_id = f.unit_id AND c.yk = f.yk
        WHERE c.indicator_id IS NULL
           OR (c.target, c.achieved, c.achieved_with_submitted, c.companion, c.status, c.unit_level, c.unit_code, c.unit_name, c.parent_id)
              IS DISTINCT FROM (f.target, f.achieved, f.with_submitted, f.companion, f.status, f.level, f.code, f.name, f.parent_id)
    ),
    updated AS (
        UPDATE chitieu.progress p
        SET target = c.target, achieved = c.achieved, achieved_with_submitted = c.with_submitted, companion = c.companion,
            rate = c.rate, status = c.status, computed_at = now(),
            unit_level = c.level, unit_code = c.code, unit_name = c.name, parent_id = c.parent_id
        FROM changes c
        WHERE c.exists AND p.province_id = p_province_id AND p.phase_id = p_phase_id AND p.indicator_id = c.indicator_id
          AND p.unit_id = c.unit_id AND p.year IS NOT DISTINCT FROM c.year
        RETURNING 1
    ),
    inserted AS (
        INSERT INTO chitieu.progress (province_id, indicator_id, unit_id, phase_id, year, target, achieved,
                                      achieved_with_submitted, companion, rate, status, computed_at,
                                      unit_level, unit_code, unit_name, parent_id)
        SELECT p_province_id, c.indicator_id, c.unit_id, p_phase_id, c.year, c.target, c.achieved, c.with_submitted, c.companion,
               c.rate, c.status, now(), c.level, c.code, c.name, c.parent_id
        FROM changes c WHERE NOT c.exists
        ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted) INTO changed;

    -- Figures of units no longer valid in the phase, or of years outside it, go.
    DELETE FROM chitieu.progress p
    WHERE p.province_id = p_province_id AND p.phase_id = p_phase_id
      AND (p_indicator_id IS NULL OR p.indicator_id = p_indicator_id)
      AND (NOT EXISTS (SELECT 1 FROM chitieu.admin_unit u
                       WHERE u.province_id = p_province_id AND u.unit_id = p.unit_id
                         AND u.valid_from <= make_date(ph.last_year, 12, 31)
                         AND (u.valid_to IS NULL OR u.valid_to >= make_date(ph.first_year, 1, 1)))
           OR (p.year IS NOT NULL AND p.year NOT BETWEEN ph.first_year AND ph.last_year));
    GET DIAGNOSTICS removed = ROW_COUNT;

    IF p_indicator_id IS NULL THEN
        INSERT INTO chitieu.progress_run (province_id, phase_id, computed_at, rows_changed)
        VALUES (p_province_id, p_phase_id, now(), changed + removed)
        ON CONFLICT (province_id, phase_id) DO UPDATE SET computed_at = excluded.computed_at, rows_changed = excluded.rows_changed;
    END IF;
    RETURN changed + removed;
END
$$;
COMMENT ON FUNCTION chitieu.compute_progress(bigint, bigint, bigint, date) IS
    'Computes completion of a phase (one indicator or all) for the current province; writes the figures that changed.';

-- Nightly: completion of every province and phase, in full.
INSERT INTO chitieu.job_schedule (name, kind, args, every, next_run_at)
VALUES ('progress.all', 'progress.all', '{}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 2 hours') AT TIME ZONE 'Asia/Ho_Chi_Minh');

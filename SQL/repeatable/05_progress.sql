-- Completion: re-applied, with the other re-runnable files, whenever one of them changes.
--
-- chitieu.compute_progress: completion of one phase of the current province (app.province_id),
-- for one indicator or all. Flow indicators sum approved results over each unit's subtree; stock
-- indicators sum each reporting unit's latest approved level; the same including submitted
-- results beside it; rate and status per unit, year and the whole phase. Writes only the figures
-- that changed. A merged province's units roll up into it: its predecessors' own units count in
-- its own, whose target, when it has none, is theirs together.
--
-- A full run (every indicator) whose inputs and figures have not changed since the last full run
-- reads each input row's version once and writes nothing (see chitieu.progress_inputs).

-- The row versions of a table's rows, as one value: how many rows, and the exclusive-or of a hash
-- of each row's place and creating transaction (ctid, xmin). Any insert, update or delete makes or
-- removes a version, so the value moves with every committed write to those rows — a write undone
-- by a later one included — and with nothing else the figures depend on (VACUUM FULL, a restore or
-- a shard moved to another worker move it too, which costs one computation more).
CREATE OR REPLACE FUNCTION chitieu.row_versions(p_count bigint, p_hash bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT p_count || ':' || coalesce(p_hash, 0) $$;

-- What a full computation of a phase reads, as a digest of row versions: the province's units,
-- successions and indicators, the phase, the phase's targets, the approved and submitted results
-- of its years; and the elapsed shares of the phase and of each year on p_today (statuses).
-- compute_progress adds the source of the functions that compute the figures, and, separately,
-- the versions of the phase's figures themselves (chitieu.progress_figure_versions), so figures
-- deleted or changed by hand are computed again too.
-- (PL/pgSQL: Citus cannot plan an SQL function's query on its parameters.)
CREATE OR REPLACE FUNCTION chitieu.progress_inputs(p_province_id bigint, p_phase_id bigint, p_today date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (WITH ph AS (SELECT * FROM chitieu.phase WHERE province_id = p_province_id AND phase_id = p_phase_id)
    SELECT md5(concat_ws('/',
        (SELECT chitieu.elapsed_share(ph.first_year, ph.last_year, p_today) || ';'
                || string_agg(chitieu.elapsed_share(y, y, p_today)::text, ',' ORDER BY y)
         FROM ph, generate_series(ph.first_year::int, ph.last_year::int) y GROUP BY ph.first_year, ph.last_year),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.phase x
         WHERE x.province_id = p_province_id AND x.phase_id = p_phase_id),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.admin_unit x
         WHERE x.province_id = p_province_id),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.unit_succession x
         WHERE x.province_id = p_province_id),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.indicator x
         WHERE x.province_id = p_province_id),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.target x
         WHERE x.province_id = p_province_id AND x.phase_id = p_phase_id),
        (SELECT chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))) FROM chitieu.result x, ph
         WHERE x.province_id = p_province_id AND x.state IN ('approved', 'submitted') AND x.year BETWEEN ph.first_year AND ph.last_year))));
END
$$;
COMMENT ON FUNCTION chitieu.progress_inputs(bigint, bigint, date) IS
    'Digest of the row versions a full computation of the phase reads and of the elapsed shares on the date.';

-- The row versions of a phase's figures.
CREATE OR REPLACE FUNCTION chitieu.progress_figure_versions(p_province_id bigint, p_phase_id bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT md5(chitieu.row_versions(count(*), bit_xor(hashtextextended(x.ctid::text || x.xmin::text, 0))))
            FROM chitieu.progress x WHERE x.province_id = p_province_id AND x.phase_id = p_phase_id);
END
$$;
COMMENT ON FUNCTION chitieu.progress_figure_versions(bigint, bigint) IS
    'Digest of the row versions of the phase''s completion figures.';

-- Its statements are planned for each call's province and phase (plan_cache_mode): a connection
-- that computes province after province (the nightly job, the daemon's workers) would otherwise
-- switch to generic plans after five calls, planned for no province in particular, and run the
-- whole computation about a quarter slower (measured at national scale, two sessions computing
-- 63 provinces three times: 12.7–13.5 s against 10.1–10.9 s).
CREATE OR REPLACE FUNCTION chitieu.compute_progress(p_province_id bigint, p_phase_id bigint, p_indicator_id bigint, p_today date)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    ph record;
    changed integer;
    inserted integer;
    removed integer;
    -- The changed figures, a column per array (see below).
    a_id bigint[]; a_indicator bigint[]; a_unit bigint[]; a_year smallint[]; a_target bigint[]; a_achieved bigint[];
    a_with_submitted bigint[]; a_companion bigint[]; a_rate numeric[]; a_status text[]; a_level text[]; a_code text[];
    a_name text[]; a_parent bigint[]; a_i_code text[]; a_i_name text[]; a_measure text[]; a_companion_measure text[];
    a_rate_with_submitted numeric[];
    v_inputs text;
    v_figures text;
BEGIN
    SELECT first_year, last_year, code INTO ph FROM chitieu.phase WHERE province_id = p_province_id AND phase_id = p_phase_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'phase % of province % not found', p_phase_id, p_province_id USING ERRCODE = '22023';
    END IF;
    -- One computation of a phase at a time: a later one waits, then reads what the earlier wrote
    -- (each statement below takes a new snapshot), so figures and the recorded versions agree.
    PERFORM pg_advisory_xact_lock(hashtextextended('chitieu.compute_progress ' || p_province_id || ' ' || p_phase_id, 0));
    -- A full run with nothing changed since the last one stops here: the versions were read
    -- before the figures are computed, so a write committed in between moves them for the next run
    -- (which computes again); equal versions mean that no row the figures depend on was written
    -- since the run that recorded them, and no figure since it wrote them.
    -- (Each read in a statement of its own: on Citus a function that reads tenant tables cannot run
    -- inside a query on them.)
    IF p_indicator_id IS NULL THEN
        SELECT string_agg(md5(prosrc), ',' ORDER BY oid) INTO v_inputs FROM pg_proc
        WHERE oid IN ('chitieu.compute_progress(bigint, bigint, bigint, date)'::regprocedure, 'chitieu.elapsed_share(int, int, date)'::regprocedure);
        v_inputs := md5(v_inputs) || chitieu.progress_inputs(p_province_id, p_phase_id, p_today);
        v_figures := chitieu.progress_figure_versions(p_province_id, p_phase_id);
        IF EXISTS (SELECT 1 FROM chitieu.progress_run r WHERE r.province_id = p_province_id AND r.phase_id = p_phase_id
                     AND r.inputs = v_inputs || ' ' || v_figures) THEN
            RETURN 0;
        END IF;
    END IF;

    WITH RECURSIVE
    -- Succession links of the province (a merged province has its predecessors' units).
    links AS MATERIALIZED (
        SELECT s.from_unit_id, s.to_unit_id FROM chitieu.unit_succession s
        WHERE s.province_id = p_province_id
    ),
    units AS MATERIALIZED (
        SELECT u.unit_id, u.parent_id, u.level, u.code, u.name,
               -- A predecessor province's own unit rolls up into the province that took it over.
               coalesce(u.parent_id, (SELECT l.to_unit_id FROM links l JOIN chitieu.admin_unit t
                                        ON t.province_id = p_province_id AND t.unit_id = l.to_unit_id AND t.level = 'province'
                                      WHERE l.from_unit_id = u.unit_id LIMIT 1)) AS rollup_parent
        FROM chitieu.admin_unit u
        WHERE u.province_id = p_province_id AND u.valid_from <= make_date(ph.last_year, 12, 31)
          AND (u.valid_to IS NULL OR u.valid_to >= make_date(ph.first_year, 1, 1))
    ),
    closure AS (
        SELECT unit_id AS ancestor, unit_id AS descendant FROM units
      UNION ALL
        SELECT u.rollup_parent, c.descendant FROM closure c JOIN units u ON u.unit_id = c.ancestor WHERE u.rollup_parent IS NOT NULL
    ),
    ind AS MATERIALIZED (
        SELECT indicator_id, kind, status, code, name, measure_unit, companion_measure FROM chitieu.indicator
        WHERE province_id = p_province_id AND (p_indicator_id IS NULL OR indicator_id = p_indicator_id)
    ),
    -- Per reporting unit and year. Flow: sums. Stock: the latest level (by period end, then
    -- decision), among approved results and among approved or submitted ones.
    reported AS MATERIALIZED (
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
    -- A level is read at the end of the year, and a successor's report supersedes its
    -- predecessors' levels (no double counting across a reform): an earlier unit's level does not
    -- count in a year in which a unit that succeeded it (directly or through a later change)
    -- reported its own, nor in the phase figure when a successor reported in that year or later.
    -- Approved figures are superseded by approved levels, the figures with submitted ones by any.
    -- (Hash joins on both sides: CTEs have no index, a correlated NOT EXISTS would scan them per row.)
    successors AS (
        SELECT from_unit_id AS unit_id, to_unit_id AS successor FROM links
      UNION
        SELECT s.unit_id, l.to_unit_id FROM successors s JOIN links l ON l.from_unit_id = s.successor
    ),
    succeeded AS MATERIALIZED (
        SELECT s.unit_id, z.indicator_id, z.year, bool_or(z.achieved IS NOT NULL) AS approved
        FROM successors s JOIN reported z ON z.unit_id = s.successor AND z.kind = 'stock'
        GROUP BY s.unit_id, z.indicator_id, z.year
    ),
    succeeded_last AS MATERIALIZED (
        SELECT unit_id, indicator_id, coalesce(max(year) FILTER (WHERE approved), 0) AS approved_year, max(year) AS any_year
        FROM succeeded GROUP BY unit_id, indicator_id
    ),
    yearly AS MATERIALIZED (
        SELECT y.indicator_id, y.unit_id, y.year, y.kind,
               CASE WHEN s.approved THEN NULL ELSE y.achieved END AS achieved,
               CASE WHEN s.unit_id IS NULL THEN y.with_submitted END AS with_submitted,
               CASE WHEN s.approved THEN NULL ELSE y.companion END AS companion
        FROM reported y
        LEFT JOIN succeeded s ON s.unit_id = y.unit_id AND s.indicator_id = y.indicator_id AND s.year = y.year
        WHERE y.kind = 'flow' OR s.unit_id IS NULL OR (NOT s.approved AND y.achieved IS NOT NULL)
    ),
    -- Per reporting unit, yearly figures (year key = the year) and phase figures (key 0): flow
    -- sums the years; stock takes the last year that has a level, unless a successor reported since.
    base AS (
        SELECT indicator_id, unit_id, year::int AS yk, achieved, with_submitted, companion FROM yearly
      UNION ALL
        SELECT indicator_id, unit_id, 0, sum(achieved), sum(with_submitted), sum(companion)
        FROM yearly WHERE kind = 'flow' GROUP BY indicator_id, unit_id
      UNION ALL
        SELECT y.indicator_id, y.unit_id, 0,
               (array_agg(y.achieved ORDER BY y.year DESC) FILTER (WHERE y.achieved IS NOT NULL AND y.year > coalesce(s.approved_year, 0)))[1],
               (array_agg(y.with_submitted ORDER BY y.year DESC) FILTER (WHERE y.with_submitted IS NOT NULL AND y.year > coalesce(s.any_year, 0)))[1],
               (array_agg(y.companion ORDER BY y.year DESC) FILTER (WHERE y.achieved IS NOT NULL AND y.year > coalesce(s.approved_year, 0)))[1]
        FROM yearly y LEFT JOIN succeeded_last s ON s.unit_id = y.unit_id AND s.indicator_id = y.indicator_id
        WHERE y.kind = 'stock' GROUP BY y.indicator_id, y.unit_id
    ),
    rolled AS (
        SELECT b.indicator_id, c.ancestor AS unit_id, b.yk,
               coalesce(sum(b.achieved), 0) AS achieved, coalesce(sum(b.with_submitted), 0) AS with_submitted,
               sum(b.companion) AS companion
        FROM base b JOIN closure c ON c.descendant = b.unit_id
        GROUP BY b.indicator_id, c.ancestor, b.yk
    ),
    -- Years are keyed as coalesce(year, 0), so the phase rows (year NULL) hash-join too.
    own_targets AS MATERIALIZED (
        SELECT t.indicator_id, t.unit_id, coalesce(t.year, 0)::int AS yk, t.value
        FROM chitieu.target t JOIN ind i ON i.indicator_id = t.indicator_id
        WHERE t.province_id = p_province_id AND t.phase_id = p_phase_id
    ),
    -- A merged province's own unit without a target of its own has its predecessors' together.
    targets AS MATERIALIZED (
        SELECT * FROM own_targets
      UNION ALL
        SELECT t.indicator_id, u.rollup_parent, t.yk, sum(t.value)::bigint
        FROM own_targets t JOIN units u ON u.unit_id = t.unit_id AND u.parent_id IS NULL AND u.rollup_parent IS NOT NULL
        LEFT JOIN own_targets o ON o.indicator_id = t.indicator_id AND o.unit_id = u.rollup_parent AND o.yk = t.yk
        WHERE o.unit_id IS NULL
        GROUP BY t.indicator_id, u.rollup_parent, t.yk
    ),
    grid AS (
        SELECT i.indicator_id, i.status, i.code AS i_code, i.name AS i_name, i.measure_unit, i.companion_measure,
               u.unit_id, u.level, u.code, u.name, u.parent_id, y.yk
        FROM ind i CROSS JOIN units u
        CROSS JOIN (SELECT generate_series(ph.first_year::int, ph.last_year::int) AS yk UNION ALL SELECT 0) y
    ),
    figures AS MATERIALIZED (
        SELECT g.indicator_id, g.unit_id, g.level, g.code, g.name, g.parent_id, g.i_code, g.i_name, g.measure_unit, g.companion_measure,
               g.yk, nullif(g.yk, 0)::smallint AS year, t.value AS target,
               coalesce(r.achieved, 0) AS achieved, coalesce(r.with_submitted, 0) AS with_submitted, r.companion,
               CASE WHEN t.value > 0 THEN round(coalesce(r.achieved, 0)::numeric / t.value, 6) END AS rate,
               CASE WHEN t.value > 0 THEN round(coalesce(r.with_submitted, 0)::numeric / t.value, 6) END AS rate_with_submitted,
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
        SELECT p.progress_id, p.indicator_id, p.unit_id, coalesce(p.year, 0)::int AS yk, p.target, p.achieved, p.achieved_with_submitted, p.companion, p.status,
               p.unit_level, p.unit_code, p.unit_name, p.parent_id, p.indicator_code, p.indicator_name, p.measure_unit,
               p.companion_measure, p.phase_code, p.rate_with_submitted
        FROM chitieu.progress p
        WHERE p.province_id = p_province_id AND p.phase_id = p_phase_id AND (p_indicator_id IS NULL OR p.indicator_id = p_indicator_id)
    ),
    -- Only what changed is written: figures compared with the current ones by a hash join.
    changes AS (
        SELECT f.*, c.progress_id
        FROM figures f
        LEFT JOIN current c ON c.indicator_id = f.indicator_id AND c.unit_id = f.unit_id AND c.yk = f.yk
        WHERE c.indicator_id IS NULL
           OR (c.target, c.achieved, c.achieved_with_submitted, c.companion, c.status, c.unit_level, c.unit_code, c.unit_name, c.parent_id,
               c.indicator_code, c.indicator_name, c.measure_unit, c.companion_measure, c.phase_code, c.rate_with_submitted)
              IS DISTINCT FROM (f.target, f.achieved, f.with_submitted, f.companion, f.status, f.level, f.code, f.name, f.parent_id,
               f.i_code, f.i_name, f.measure_unit, f.companion_measure, ph.code, f.rate_with_submitted)
    )
    -- Read into arrays, a column each, then written by two statements: on Citus a query that
    -- writes in a CTE runs on every shard, while a recursive one runs only on one.
    SELECT array_agg(c.progress_id), array_agg(c.indicator_id), array_agg(c.unit_id), array_agg(c.year), array_agg(c.target),
           array_agg(c.achieved), array_agg(c.with_submitted), array_agg(c.companion), array_agg(c.rate), array_agg(c.status),
           array_agg(c.level), array_agg(c.code), array_agg(c.name), array_agg(c.parent_id), array_agg(c.i_code), array_agg(c.i_name),
           array_agg(c.measure_unit), array_agg(c.companion_measure), array_agg(c.rate_with_submitted)
    INTO a_id, a_indicator, a_unit, a_year, a_target, a_achieved, a_with_submitted, a_companion, a_rate, a_status, a_level, a_code,
         a_name, a_parent, a_i_code, a_i_name, a_measure, a_companion_measure, a_rate_with_submitted
    FROM changes c;

    UPDATE chitieu.progress p
    SET target = c.target, achieved = c.achieved, achieved_with_submitted = c.with_submitted, companion = c.companion,
        rate = c.rate, status = c.status, computed_at = now(),
        unit_level = c.level, unit_code = c.code, unit_name = c.name, parent_id = c.parent_id,
        indicator_code = c.i_code, indicator_name = c.i_name, measure_unit = c.measure_unit,
        companion_measure = c.companion_measure, phase_code = ph.code, rate_with_submitted = c.rate_with_submitted
    FROM unnest(a_id, a_target, a_achieved, a_with_submitted, a_companion, a_rate, a_status, a_level, a_code, a_name, a_parent,
                a_i_code, a_i_name, a_measure, a_companion_measure, a_rate_with_submitted)
         AS c(progress_id, target, achieved, with_submitted, companion, rate, status, level, code, name, parent_id,
              i_code, i_name, measure_unit, companion_measure, rate_with_submitted)
    WHERE p.province_id = p_province_id AND c.progress_id IS NOT NULL AND p.progress_id = c.progress_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    -- ON CONFLICT also lets Citus write the rows through INSERT statements rather than COPY,
    -- which row-level security refuses.
    INSERT INTO chitieu.progress (province_id, indicator_id, unit_id, phase_id, year, target, achieved,
                                  achieved_with_submitted, companion, rate, status, computed_at,
                                  unit_level, unit_code, unit_name, parent_id, indicator_code, indicator_name, measure_unit,
                                  companion_measure, phase_code, rate_with_submitted)
    SELECT p_province_id, c.indicator_id, c.unit_id, p_phase_id, c.year, c.target, c.achieved, c.with_submitted, c.companion,
           c.rate, c.status, now(), c.level, c.code, c.name, c.parent_id, c.i_code, c.i_name, c.measure_unit,
           c.companion_measure, ph.code, c.rate_with_submitted
    FROM unnest(a_id, a_indicator, a_unit, a_year, a_target, a_achieved, a_with_submitted, a_companion, a_rate, a_status, a_level,
                a_code, a_name, a_parent, a_i_code, a_i_name, a_measure, a_companion_measure, a_rate_with_submitted)
         AS c(progress_id, indicator_id, unit_id, year, target, achieved, with_submitted, companion, rate, status, level,
              code, name, parent_id, i_code, i_name, measure_unit, companion_measure, rate_with_submitted)
    WHERE c.progress_id IS NULL
    ON CONFLICT (province_id, indicator_id, unit_id, phase_id, year) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    changed := changed + inserted;

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

    -- Daemons keeping these figures in memory drop the province's when this commits.
    IF changed + removed > 0 THEN
        PERFORM chitieu.announce_figures(p_province_id);
    END IF;

    IF p_indicator_id IS NULL THEN
        v_figures := chitieu.progress_figure_versions(p_province_id, p_phase_id);
        INSERT INTO chitieu.progress_run (province_id, phase_id, computed_at, rows_changed, inputs)
        VALUES (p_province_id, p_phase_id, now(), changed + removed, v_inputs || ' ' || v_figures)
        ON CONFLICT (province_id, phase_id) DO UPDATE
        SET computed_at = excluded.computed_at, rows_changed = excluded.rows_changed, inputs = excluded.inputs;
    END IF;
    RETURN changed + removed;
END
$$;
COMMENT ON FUNCTION chitieu.compute_progress(bigint, bigint, bigint, date) IS
    'Computes completion of a phase (one indicator or all) for the current province; writes the figures that changed; a full run with nothing changed since the last reads row versions only.';

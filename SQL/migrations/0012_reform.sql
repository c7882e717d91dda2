-- Units that change (the July 2025 reform): provinces that merge into a new one, succession
-- links with weights a province may set, and completion figures on today's units.

-- A province that ended in a merge names the province that took it over. Set once: a
-- province is merged once, so nothing is copied twice.
-- (No foreign key: keys between tenant rows lead with province_id; the merge checks it.)
ALTER TABLE chitieu.province ADD COLUMN successor_id bigint;
ALTER TABLE chitieu.province ADD CONSTRAINT province_successor_after CHECK (successor_id IS NULL OR valid_to IS NOT NULL);
COMMENT ON COLUMN chitieu.province.successor_id IS 'The province this one merged into (its history was copied there on valid_to + 1); NULL while it has none.';

-- The successor's side: which provinces it took over, when, and what was carried over.
CREATE TABLE chitieu.province_lineage (
    province_id    bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    predecessor_id bigint NOT NULL,
    predecessor_code text NOT NULL,
    predecessor_name text COLLATE chitieu.vi NOT NULL,
    merged_on      date NOT NULL,
    merged_by      uuid,
    merged_at      timestamptz NOT NULL DEFAULT now(),
    carried        jsonb NOT NULL,
    PRIMARY KEY (province_id, predecessor_id),
    CHECK (province_id <> predecessor_id)
);
COMMENT ON TABLE chitieu.province_lineage IS 'Provinces merged into this one: their units, indicators, targets and results were copied here on merged_on, their accounts moved here.';
COMMENT ON COLUMN chitieu.province_lineage.merged_on IS 'First day of the merged province (the predecessor ended the day before).';
COMMENT ON COLUMN chitieu.province_lineage.carried IS 'Rows carried over, by table.';

-- Weights of split links: equal by default, set by the province.
ALTER TABLE chitieu.unit_succession
    ADD COLUMN weight_set_by uuid,
    ADD COLUMN weight_set_at timestamptz;
COMMENT ON COLUMN chitieu.unit_succession.weight_set_by IS 'Who set the weight by hand; NULL while it is the default (equal parts).';
CREATE INDEX unit_succession_to ON chitieu.unit_succession (province_id, to_unit_id);
CREATE INDEX unit_succession_from ON chitieu.unit_succession (province_id, from_unit_id);

-- Completion on today's units: old units' targets and results carried to their successors
-- (whole links whole, split links by weight with exact rounding), summed with the current
-- units' own. Written by the progress job, read by reporting views.
CREATE TABLE chitieu.progress_on_units (
    province_id     bigint NOT NULL,
    figure_id       bigint GENERATED ALWAYS AS IDENTITY,
    phase_id        bigint NOT NULL,
    indicator_id    bigint NOT NULL,
    unit_id         bigint NOT NULL,
    year            smallint,
    as_of           date NOT NULL,
    target          bigint,
    achieved        bigint NOT NULL,
    achieved_with_submitted bigint NOT NULL,
    companion       bigint,
    rate            numeric(18, 6),
    rate_with_submitted numeric(18, 6),
    status          text NOT NULL CHECK (status IN ('completed', 'on_track', 'behind', 'no_target', 'suspended')),
    unit_level      text NOT NULL,
    unit_code       text NOT NULL,
    unit_name       text COLLATE chitieu.vi NOT NULL,
    parent_id       bigint,
    indicator_code  text NOT NULL,
    indicator_name  text COLLATE chitieu.vi NOT NULL,
    measure_unit    text COLLATE chitieu.vi NOT NULL,
    companion_measure text COLLATE chitieu.vi,
    phase_code      text NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, figure_id),
    UNIQUE NULLS NOT DISTINCT (province_id, phase_id, year, indicator_id, unit_id)
);
COMMENT ON TABLE chitieu.progress_on_units IS 'Completion per indicator, unit (valid on as_of), phase and year, with earlier units'' targets and results carried to their successors.';
COMMENT ON COLUMN chitieu.progress_on_units.as_of IS 'The day whose units the figures are on.';

-- Row-level security for a new tenant table, as every tenant table has it (0003): enabled and
-- forced, the daemon's and the owner's policy on app.province_id, the reporting logins' on
-- their group; the daemon reads and writes it, reporting logins read it. For migrations.
CREATE FUNCTION chitieu.secure_tenant_table(p_table text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    EXECUTE format('ALTER TABLE chitieu.%I ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE chitieu.%I FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format(
        'CREATE POLICY tenant_scope ON chitieu.%I TO chitieu_app, %I '
        'USING (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint) '
        'WITH CHECK (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint)',
        p_table, current_user);
    EXECUTE format(
        'CREATE POLICY reporting_scope ON chitieu.%I FOR SELECT TO chitieu_reporting '
        'USING (pg_has_role(''chitieu_p'' || province_id, ''MEMBER''))', p_table);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON chitieu.%I TO chitieu_app', p_table);
    EXECUTE format('GRANT SELECT ON chitieu.%I TO chitieu_reporting', p_table);
END
$$;
REVOKE ALL ON FUNCTION chitieu.secure_tenant_table(text) FROM PUBLIC;
COMMENT ON FUNCTION chitieu.secure_tenant_table(text) IS 'Gives a new tenant table row-level security and the grants every tenant table has; for migrations.';

SELECT chitieu.secure_tenant_table('province_lineage');
SELECT chitieu.secure_tenant_table('progress_on_units');

-- The units under some units of the current province, to a depth: down the tree, and from a
-- merged province's own unit to its predecessors' own units (linked to it by succession),
-- which count as its children, so its officers reach the history it took over.
CREATE FUNCTION chitieu.unit_scope(p_province_id bigint, p_roots bigint[], p_depth int DEFAULT 10)
RETURNS TABLE (unit_id bigint, depth int)
LANGUAGE sql STABLE AS $$
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
        WHERE s.depth < p_depth
    )
    SELECT unit_id, min(depth)::int FROM scope GROUP BY unit_id
$$;
COMMENT ON FUNCTION chitieu.unit_scope(bigint, bigint[], int) IS
    'Units under the given units (themselves included) to a depth, a merged province''s predecessors'' own units counting as its children.';

-- The units above a unit, from the top: its parents, and over a predecessor province's own
-- unit the province that took it over.
CREATE FUNCTION chitieu.unit_path(p_province_id bigint, p_unit_id bigint)
RETURNS bigint[]
LANGUAGE sql STABLE AS $$
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
$$;
COMMENT ON FUNCTION chitieu.unit_path(bigint, bigint) IS
    'The unit and the units above it, from the top; a predecessor province''s own unit sits under the province that took it over.';

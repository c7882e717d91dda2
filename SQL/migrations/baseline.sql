-- chitieu baseline: the schema of migrations 0001 to 0029 in one file, by subject.
--
-- A new database runs this file instead of the migrations it replaces (listed with their
-- checksums in baseline.replaces), and records each of them as applied; a database that
-- applied them one by one skips it. Functions and views of SQL/repeatable are not here: they
-- run after this file (nothing below needs one of them while it is created). The data
-- migrations of the replaced files (0009, 0018, 0019) rewrote existing rows and have nothing
-- to do on a new database.
--
-- Column order matters (tenant archives, INSERT … SELECT between databases of one version):
-- columns a later migration added stay at the end of their table, as on a database migrated
-- step by step; constraint and index names are those the migrations gave.

-- ─── Roles, schemas, collation, database access ─────────────────────────────────────────────
--
-- Roles are cluster-wide, so they are created only when missing (several chitieu databases may
-- share one cluster). The role running the migrations owns every object.
--   chitieu_app        the daemon's login: no BYPASSRLS, not the owner; RLS decides what it sees.
--   chitieu_reporting  group of every reporting login (psql, Excel, Metabase, Grafana, pandas);
--                      each province's logins are also members of that province's group chitieu_p<id>.

DO $$
BEGIN
    BEGIN
        CREATE ROLE chitieu_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE chitieu_reporting NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;

CREATE SCHEMA chitieu;
COMMENT ON SCHEMA chitieu IS 'chitieu tables: tenants (provinces), administrative units, indicators, targets, results, progress, accounts, the job queue and the audit log.';
CREATE SCHEMA reporting;
COMMENT ON SCHEMA reporting IS 'Views for reporting tools (psql, Excel, Metabase, Grafana, pandas). Each reporting login sees its own province only.';

REVOKE ALL ON SCHEMA chitieu FROM PUBLIC;
REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
GRANT USAGE ON SCHEMA chitieu TO chitieu_app, chitieu_reporting;
GRANT USAGE ON SCHEMA reporting TO chitieu_app, chitieu_reporting;

-- The daemon checks, for /ready, that the migrations are current.
GRANT USAGE ON SCHEMA chitieu_migrations TO chitieu_app;
GRANT SELECT ON chitieu_migrations.applied TO chitieu_app;

-- Roles are cluster-wide but province ids are per database: only this database's own logins
-- may connect to it, so a reporting login of another chitieu database on the same cluster
-- (whose province 1 is another province) cannot read this one.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO chitieu_app', current_database());
END
$$;

-- Vietnamese sort order (ICU), used by every name column so ORDER BY name is right everywhere.
CREATE COLLATION chitieu.vi (provider = icu, locale = 'vi');

-- ─── Functions the tables and policies stand on ─────────────────────────────────────────────

-- Sets the province a transaction serves; row-level security reads it. SET takes no
-- parameters, so this function runs SET LOCAL with a safely quoted literal.
CREATE FUNCTION chitieu.use_province(p_province_id bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_province_id IS NULL THEN
        RAISE EXCEPTION 'a province id is required' USING ERRCODE = '22004';
    END IF;
    EXECUTE format('SET LOCAL app.province_id = %L', p_province_id::text);
END
$$;
COMMENT ON FUNCTION chitieu.use_province(bigint) IS 'Sets app.province_id for the current transaction (SET LOCAL); row-level security filters on it.';
REVOKE ALL ON FUNCTION chitieu.use_province(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.use_province(bigint) TO chitieu_app;

-- The province the current transaction serves, or NULL when none is set (no rows then).
CREATE FUNCTION chitieu.current_province() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.province_id', true), '')::bigint $$;
COMMENT ON FUNCTION chitieu.current_province() IS 'app.province_id of the current transaction as bigint, NULL when unset.';

-- Is `t` NFC-normalised, non-blank and free of control characters?
CREATE FUNCTION chitieu.is_clean_name(t text, max_length int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT t IS NORMALIZED
       AND length(btrim(t)) > 0
       AND t = btrim(t)
       AND length(t) <= max_length
       AND t !~ '[[:cntrl:]]'
$$;
COMMENT ON FUNCTION chitieu.is_clean_name(text, int) IS 'True when a name is NFC, trimmed, not empty, at most max_length characters and has no control characters.';

-- Finding units by name as people type it: with or without diacritics, with the tone mark on
-- either vowel (Hoà / Hòa, Thuỷ / Thủy), in any case. Both the stored names and the query go
-- through this key. A province has at most about a thousand units and a search reads one
-- province's rows (the primary key's prefix), so the key is a stored column
-- (admin_unit.search_name) rather than a trigram index and its extension.
CREATE FUNCTION chitieu.search_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(translate(regexp_replace(normalize(t, NFD), '[\u0300-\u036f]', '', 'g'), 'đĐ', 'dD') COLLATE "C")
$$;
COMMENT ON FUNCTION chitieu.search_key(text) IS 'A name as search compares it: NFD, combining marks removed, đ as d, lower case (Xã Xuân Hòa and XÃ XUÂN HOÀ both give xa xuan hoa).';

-- Row-level security for a new tenant table, as every tenant table has it (below): enabled and
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

-- ─── Provinces (the tenants) ────────────────────────────────────────────────────────────────
--
-- Every tenant table carries province_id first in its primary key and in every foreign key to
-- another tenant table (ready to be distributed by province on Citus). Ids are bigint
-- identities or UUIDs. No ON DELETE SET NULL between tenant tables.

CREATE TABLE chitieu.province (
    province_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code        text NOT NULL CHECK (code ~ '^[0-9]{2}$'),
    name        text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(name, 200)),
    valid_from  date NOT NULL,
    valid_to    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    UNIQUE (code, valid_from),
    -- Whether district officers may plan their communes' targets (rules, overrides, allocation).
    district_allocation boolean NOT NULL DEFAULT false,
    -- A province that ended in a merge names the province that took it over. Set once: a
    -- province is merged once, so nothing is copied twice. (No foreign key: keys between
    -- tenant rows lead with province_id; the merge checks it.)
    successor_id bigint,
    CONSTRAINT province_successor_after CHECK (successor_id IS NULL OR valid_to IS NOT NULL)
);
COMMENT ON TABLE chitieu.province IS 'A tenant: one province for one period. GSO codes were reused in the 2025 reform, so a code is a key only with its validity period.';
COMMENT ON COLUMN chitieu.province.province_id IS 'Stable surrogate id; the reporting group of the province is chitieu_p<province_id>.';
COMMENT ON COLUMN chitieu.province.code IS 'GSO province code (2 digits), meaningful only within valid_from..valid_to.';
COMMENT ON COLUMN chitieu.province.name IS 'Official name, NFC, e.g. Tỉnh Lào Cai.';
COMMENT ON COLUMN chitieu.province.valid_from IS 'First day this province exists in this form.';
COMMENT ON COLUMN chitieu.province.valid_to IS 'Last day it existed in this form; NULL while current.';
COMMENT ON COLUMN chitieu.province.district_allocation IS 'When true, district officers set allocation rules and overrides for their communes.';
COMMENT ON COLUMN chitieu.province.successor_id IS 'The province this one merged into (its history was copied there on valid_to + 1); NULL while it has none.';

-- The successor's side of a merge: which provinces it took over, when, and what was carried over.
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

-- ─── Administrative units ───────────────────────────────────────────────────────────────────

CREATE TABLE chitieu.admin_unit (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    unit_id     bigint GENERATED ALWAYS AS IDENTITY,
    level       text NOT NULL CHECK (level IN ('province', 'district', 'commune', 'village')),
    code        text NOT NULL CHECK (code ~ '^[0-9]{2,7}$'),
    name        text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(name, 200)),
    type_label  text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(type_label, 50)),
    parent_id   bigint,
    valid_from  date NOT NULL,
    valid_to    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    search_name text GENERATED ALWAYS AS (chitieu.search_key(name)) STORED,
    PRIMARY KEY (province_id, unit_id),
    UNIQUE (province_id, level, code, valid_from),
    FOREIGN KEY (province_id, parent_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CHECK ((level = 'province') = (parent_id IS NULL))
);
CREATE INDEX admin_unit_parent ON chitieu.admin_unit (province_id, parent_id);
COMMENT ON TABLE chitieu.admin_unit IS 'Administrative units of a province (province, district, commune, village) with their validity period.';
COMMENT ON COLUMN chitieu.admin_unit.province_id IS 'The tenant (province) this unit belongs to.';
COMMENT ON COLUMN chitieu.admin_unit.unit_id IS 'Stable surrogate id.';
COMMENT ON COLUMN chitieu.admin_unit.level IS 'province, district, commune or village.';
COMMENT ON COLUMN chitieu.admin_unit.code IS 'GSO code; a key only together with level and validity period (codes were reused in 2025).';
COMMENT ON COLUMN chitieu.admin_unit.name IS 'Official name in NFC, e.g. Xã Điện Quan.';
COMMENT ON COLUMN chitieu.admin_unit.type_label IS 'Type as written: Tỉnh, Thành phố, Huyện, Quận, Thị xã, Xã, Phường, Thị trấn, Đặc khu.';
COMMENT ON COLUMN chitieu.admin_unit.parent_id IS 'The unit above (NULL for the province unit).';
COMMENT ON COLUMN chitieu.admin_unit.valid_from IS 'First day the unit exists in this form.';
COMMENT ON COLUMN chitieu.admin_unit.valid_to IS 'Last day it existed in this form; NULL while current.';
COMMENT ON COLUMN chitieu.admin_unit.search_name IS 'The name as search compares it (chitieu.search_key): no diacritics, đ as d, lower case.';

-- Which unit became which (the July 2025 reform): whole links, and split links whose weights
-- are equal by default and may be set by the province.
CREATE TABLE chitieu.unit_succession (
    province_id    bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    succession_id  bigint GENERATED ALWAYS AS IDENTITY,
    from_unit_id   bigint NOT NULL,
    to_unit_id     bigint NOT NULL,
    effective_date date NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('whole', 'split', 'split-default')),
    weight         numeric(9, 6) NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    weight_set_by  uuid,
    weight_set_at  timestamptz,
    PRIMARY KEY (province_id, succession_id),
    UNIQUE (province_id, from_unit_id, to_unit_id, effective_date),
    FOREIGN KEY (province_id, from_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, to_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE
);
CREATE INDEX unit_succession_to ON chitieu.unit_succession (province_id, to_unit_id);
CREATE INDEX unit_succession_from ON chitieu.unit_succession (province_id, from_unit_id);
COMMENT ON TABLE chitieu.unit_succession IS 'Which unit became which on a date: whole (moved whole) or split (divided, by weight).';
COMMENT ON COLUMN chitieu.unit_succession.weight IS 'Share of the old unit that went to the new one (1 for whole).';
COMMENT ON COLUMN chitieu.unit_succession.weight_set_by IS 'Who set the weight by hand; NULL while it is the default (equal parts).';

-- Numeric attributes of units (population, villages, ethnic-minority share…), used to weight
-- allocations.
CREATE TABLE chitieu.unit_attribute (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    unit_id     bigint NOT NULL,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    value       numeric NOT NULL CHECK (value >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, unit_id, name),
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.unit_attribute IS 'A numeric attribute of a unit (e.g. population), for weighted allocation.';
COMMENT ON COLUMN chitieu.unit_attribute.name IS 'Attribute name, e.g. population.';
COMMENT ON COLUMN chitieu.unit_attribute.value IS 'Its value, 0 or more.';

-- ─── Phases, indicators, targets, allocation rules ──────────────────────────────────────────

-- A phase's targets are set by a document of the province, e.g. Lào Cai's "Kế hoạch số
-- 355/KH-UBND ngày 24/10/2022 của UBND tỉnh": its number, date and issuer (and optionally its
-- title) are kept on the phase, all three or none.
CREATE TABLE chitieu.phase (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    phase_id    bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code ~ '^[0-9]{4}-[0-9]{4}$'),
    first_year  smallint NOT NULL,
    last_year   smallint NOT NULL,
    plan_number text CHECK (plan_number IS NULL OR (length(plan_number) BETWEEN 1 AND 100 AND plan_number IS NORMALIZED)),
    plan_date   date,
    plan_issuer text CHECK (plan_issuer IS NULL OR (length(plan_issuer) BETWEEN 1 AND 200 AND plan_issuer IS NORMALIZED)),
    plan_title  text CHECK (plan_title IS NULL OR (length(plan_title) BETWEEN 1 AND 500 AND plan_title IS NORMALIZED)),
    PRIMARY KEY (province_id, phase_id),
    UNIQUE (province_id, code),
    CHECK (last_year >= first_year AND last_year - first_year < 20),
    CHECK (code = first_year || '-' || last_year),
    CONSTRAINT phase_plan_complete CHECK (
        (plan_number IS NULL) = (plan_date IS NULL) AND (plan_number IS NULL) = (plan_issuer IS NULL)
        AND (plan_title IS NULL OR plan_number IS NOT NULL))
);
COMMENT ON TABLE chitieu.phase IS 'A planning phase of a province, e.g. 2021-2025 (phase I) or 2026-2030 (phase II).';
COMMENT ON COLUMN chitieu.phase.code IS 'First and last year, e.g. 2021-2025.';
COMMENT ON COLUMN chitieu.phase.plan_number IS 'Number of the plan that set the phase targets, e.g. 355/KH-UBND.';
COMMENT ON COLUMN chitieu.phase.plan_date IS 'Date the plan was issued, e.g. 2022-10-24.';
COMMENT ON COLUMN chitieu.phase.plan_issuer IS 'Who issued the plan, e.g. UBND tỉnh Lào Cai.';
COMMENT ON COLUMN chitieu.phase.plan_title IS 'Title of the plan (optional).';

-- An indicator may declare a disaggregation of its count and one of its companion measure:
-- clubs and courses are not women or men, their members and participants are.
CREATE TABLE chitieu.indicator (
    province_id       bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    indicator_id      bigint GENERATED ALWAYS AS IDENTITY,
    code              text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    national_code     text,
    name              text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(name, 500)),
    name_en           text CHECK (name_en IS NULL OR chitieu.is_clean_name(name_en, 500)),
    measure_unit      text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(measure_unit, 50)),
    kind              text NOT NULL CHECK (kind IN ('flow', 'stock')),
    reporting_levels  text[] NOT NULL DEFAULT '{commune}'
                      CHECK (reporting_levels <@ ARRAY['province', 'district', 'commune', 'village'] AND cardinality(reporting_levels) > 0),
    disaggregation    jsonb,
    companion_measure text COLLATE chitieu.vi CHECK (companion_measure IS NULL OR chitieu.is_clean_name(companion_measure, 100)),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    suspended_from    date,
    suspended_reason  text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    companion_disaggregation jsonb
                      CHECK (companion_disaggregation IS NULL OR jsonb_typeof(companion_disaggregation) = 'object'),
    PRIMARY KEY (province_id, indicator_id),
    UNIQUE (province_id, code),
    CHECK ((status = 'suspended') = (suspended_from IS NOT NULL AND suspended_reason IS NOT NULL))
);
COMMENT ON TABLE chitieu.indicator IS 'A target indicator of a province (e.g. community communication teams), flow or stock, active or suspended.';
COMMENT ON COLUMN chitieu.indicator.code IS 'Short code unique in the province.';
COMMENT ON COLUMN chitieu.indicator.national_code IS 'Code of the national indicator it reports to, if any.';
COMMENT ON COLUMN chitieu.indicator.name IS 'Vietnamese name (NFC).';
COMMENT ON COLUMN chitieu.indicator.name_en IS 'English name, optional.';
COMMENT ON COLUMN chitieu.indicator.measure_unit IS 'Unit of measure: tổ, câu lạc bộ, lớp, người…';
COMMENT ON COLUMN chitieu.indicator.kind IS 'flow: counted per period and summed; stock: a level read at the end of the period.';
COMMENT ON COLUMN chitieu.indicator.reporting_levels IS 'Levels of unit that report it.';
COMMENT ON COLUMN chitieu.indicator.disaggregation IS 'Optional breakdown, e.g. {"sex": ["nữ", "nam"]}.';
COMMENT ON COLUMN chitieu.indicator.companion_measure IS 'Optional companion count, e.g. members or participants.';
COMMENT ON COLUMN chitieu.indicator.status IS 'active, or suspended (kept on record, left out of completion totals).';
COMMENT ON COLUMN chitieu.indicator.suspended_from IS 'Date the suspension took effect.';
COMMENT ON COLUMN chitieu.indicator.suspended_reason IS 'Why, e.g. stopped by central direction.';
COMMENT ON COLUMN chitieu.indicator.companion_disaggregation IS
    'Breakdown of the companion figure: dimension → categories, e.g. {"sex": ["nữ", "nam"]} members by sex.';

-- The high-volume tables (target, progress) carry no foreign key of their own to province:
-- their key to indicator, which belongs to the province, already implies it, and each foreign
-- key costs a lookup per written row (allocation writes hundreds of thousands of cells).
CREATE TABLE chitieu.target (
    province_id  bigint NOT NULL,
    target_id    bigint GENERATED ALWAYS AS IDENTITY,
    indicator_id bigint NOT NULL,
    unit_id      bigint NOT NULL,
    phase_id     bigint NOT NULL,
    year         smallint,
    value        bigint NOT NULL CHECK (value >= 0),
    companion_value bigint CHECK (companion_value IS NULL OR companion_value >= 0),
    origin       text NOT NULL CHECK (origin IN ('assigned', 'allocated', 'overridden')),
    locked       boolean NOT NULL DEFAULT false,
    set_by       uuid,
    set_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, target_id),
    UNIQUE NULLS NOT DISTINCT (province_id, indicator_id, unit_id, phase_id, year),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT,
    FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE RESTRICT
);
COMMENT ON TABLE chitieu.target IS 'A target value for an indicator at a unit, for a whole phase (year NULL) or one year.';
COMMENT ON COLUMN chitieu.target.year IS 'The year, or NULL for the whole phase.';
COMMENT ON COLUMN chitieu.target.value IS 'Target count (teams, clubs, courses…).';
COMMENT ON COLUMN chitieu.target.companion_value IS 'Target of the companion measure (members, participants), if any.';
COMMENT ON COLUMN chitieu.target.origin IS 'assigned (set by hand as a phase target), allocated (computed), overridden (set by hand over an allocation).';
COMMENT ON COLUMN chitieu.target.locked IS 'Kept as is by every later allocation.';

CREATE TABLE chitieu.allocation_rule (
    province_id   bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    rule_id       bigint GENERATED ALWAYS AS IDENTITY,
    indicator_id  bigint NOT NULL,
    phase_id      bigint NOT NULL,
    unit_id       bigint NOT NULL,
    child_method  text NOT NULL DEFAULT 'equal' CHECK (child_method IN ('equal', 'weighted', 'manual')),
    child_weights jsonb,
    year_method   text NOT NULL DEFAULT 'equal' CHECK (year_method IN ('equal', 'weighted', 'manual')),
    year_weights  numeric[],
    min_per_child bigint NOT NULL DEFAULT 0 CHECK (min_per_child >= 0),
    district_may_allocate boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    weight_attribute text,
    PRIMARY KEY (province_id, rule_id),
    UNIQUE (province_id, indicator_id, phase_id, unit_id),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE RESTRICT,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT
);
COMMENT ON TABLE chitieu.allocation_rule IS 'How a unit''s target is split among its children and over the phase''s years.';
COMMENT ON COLUMN chitieu.allocation_rule.weight_attribute IS 'For weighted rules: the unit attribute that weights the children (instead of explicit weights).';

-- ─── Accounts, logins, grants, tokens ───────────────────────────────────────────────────────

CREATE TABLE chitieu.account (
    province_id  bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    account_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    username     text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    display_name text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(display_name, 200)),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The unit an account belongs to: who may manage it follows from it.
    home_unit_id bigint,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, account_id),
    UNIQUE (province_id, username),
    CONSTRAINT account_home_unit_fkey
        FOREIGN KEY (province_id, home_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT
);
COMMENT ON TABLE chitieu.account IS 'A person or integration that signs in to a province.';
COMMENT ON COLUMN chitieu.account.home_unit_id IS 'The unit the account belongs to (its officers manage it); NULL: the province.';

-- Usernames are unique in the whole deployment. A login names no province, so this directory
-- says which tenant to open for a username. It holds no secret and is not a tenant table
-- (under Citus it is a reference table); the daemon keeps it in step with chitieu.account in
-- the same transaction.
CREATE TABLE chitieu.login_name (
    username    text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    account_id  uuid NOT NULL,
    UNIQUE (province_id, account_id)
);
COMMENT ON TABLE chitieu.login_name IS 'Which province a username belongs to (usernames are unique in the deployment).';

-- Failed logins per account and per client address, in fixed windows. Unlogged: losing the
-- counters in a crash only forgives a few failures.
CREATE UNLOGGED TABLE chitieu.login_throttle (
    key           text PRIMARY KEY CHECK (length(key) <= 300),
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    blocked_until timestamptz
);
COMMENT ON TABLE chitieu.login_throttle IS 'Login failures by account:<username> and address:<ip>; a key over its limit is blocked until blocked_until.';

CREATE TABLE chitieu.role_grant (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    grant_id    bigint GENERATED ALWAYS AS IDENTITY,
    account_id  uuid NOT NULL,
    unit_id     bigint NOT NULL,
    role        text NOT NULL CHECK (role IN ('province', 'district', 'commune', 'viewer')),
    valid_from  date NOT NULL DEFAULT current_date,
    valid_to    date,
    granted_by  uuid,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_by  uuid,
    PRIMARY KEY (province_id, grant_id),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT
);
CREATE INDEX role_grant_account ON chitieu.role_grant (province_id, account_id);
CREATE INDEX role_grant_unit ON chitieu.role_grant (province_id, unit_id);
COMMENT ON TABLE chitieu.role_grant IS 'A role held by an account at an administrative unit; it reaches the unit''s whole subtree.';
COMMENT ON COLUMN chitieu.role_grant.revoked_at IS 'When the grant was withdrawn; a revoked grant stays on record and gives nothing.';

CREATE TABLE chitieu.credential (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    account_id  uuid NOT NULL,
    algorithm   text NOT NULL DEFAULT 'scrypt',
    parameters  jsonb NOT NULL,
    salt        bytea NOT NULL,
    hash        bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, account_id),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.credential IS 'Password hash of an account (never readable by reporting logins).';

CREATE TABLE chitieu.api_token (
    province_id  bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    token_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id   uuid NOT NULL,
    name         text,
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    kind         text NOT NULL DEFAULT 'integration' CHECK (kind IN ('session', 'integration')),
    created_by   uuid,
    PRIMARY KEY (province_id, token_id),
    UNIQUE (province_id, token_hash),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE
);
CREATE INDEX api_token_expiry ON chitieu.api_token (expires_at) WHERE revoked_at IS NULL;
COMMENT ON TABLE chitieu.api_token IS 'Bearer tokens, stored only as SHA-256 (never readable by reporting logins).';
COMMENT ON COLUMN chitieu.api_token.kind IS 'session (from a login) or integration (issued by an operator or officer).';

-- ─── Results and reporting deadlines ────────────────────────────────────────────────────────
--
-- A result counts in the year of its period (a period never spans two years). Four eyes:
-- whoever created, last changed the figures of, or submitted a result does not approve it.

CREATE TABLE chitieu.result (
    province_id      bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    result_id        uuid NOT NULL DEFAULT gen_random_uuid(),
    indicator_id     bigint NOT NULL,
    unit_id          bigint NOT NULL,
    period_start     date NOT NULL,
    period_end       date NOT NULL,
    value            bigint NOT NULL CHECK (value >= 0),
    breakdown        jsonb,
    companion_value  bigint CHECK (companion_value IS NULL OR companion_value >= 0),
    evidence_note    text CHECK (evidence_note IS NULL OR length(evidence_note) <= 4000),
    state            text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'approved', 'returned')),
    return_reason    text,
    idempotency_key  text CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
    version          integer NOT NULL DEFAULT 1,
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    submitted_at     timestamptz,
    decided_by       uuid,
    decided_at       timestamptz,
    year             smallint GENERATED ALWAYS AS (extract(year FROM period_end)::smallint) STORED,
    submitted_by     uuid,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- The fingerprint of the request an idempotency key first came with.
    idempotency_fingerprint bytea,
    decided_unit_id  bigint,
    companion_breakdown jsonb CHECK (companion_breakdown IS NULL OR jsonb_typeof(companion_breakdown) = 'object'),
    last_edited_by   uuid,
    PRIMARY KEY (province_id, result_id),
    UNIQUE (province_id, idempotency_key),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE RESTRICT,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT,
    CHECK (period_end >= period_start),
    CONSTRAINT result_within_one_year CHECK (extract(year FROM period_start) = extract(year FROM period_end)),
    CONSTRAINT result_evidence_clean CHECK (evidence_note IS NULL OR evidence_note IS NORMALIZED)
);
CREATE INDEX result_lookup ON chitieu.result (province_id, indicator_id, unit_id, period_end);
CREATE INDEX result_counted ON chitieu.result (province_id, indicator_id, year, unit_id) WHERE state IN ('approved', 'submitted');
CREATE INDEX result_by_unit ON chitieu.result (province_id, unit_id, created_at);
COMMENT ON TABLE chitieu.result IS 'What a unit reported for an indicator and period: draft, submitted, approved or returned.';
COMMENT ON COLUMN chitieu.result.value IS 'Reported count (for stock indicators, the level at period_end).';
COMMENT ON COLUMN chitieu.result.breakdown IS 'Breakdown by the indicator''s disaggregation, e.g. {"nữ": 30, "nam": 12}.';
COMMENT ON COLUMN chitieu.result.state IS 'draft → submitted → approved, or returned (back to draft with a reason).';
COMMENT ON COLUMN chitieu.result.version IS 'Raised by every change; an update naming an older version is refused (409).';
COMMENT ON COLUMN chitieu.result.year IS 'The year the result counts in (that of period_end).';
COMMENT ON COLUMN chitieu.result.decided_unit_id IS 'The unit of the role that approved: only that level, or one above it, corrects the result.';
COMMENT ON COLUMN chitieu.result.companion_breakdown IS
    'Breakdown of the companion figure by the indicator''s companion disaggregation, e.g. {"sex": {"nữ": 14, "nam": 9}}.';
COMMENT ON COLUMN chitieu.result.last_edited_by IS 'The account that last changed the figures (value, breakdown, companion, note); it does not approve the result.';

-- A year's results close on closes_on (default 25 January of the next year); the province may
-- reopen reporting for a unit (and its subtree) until a date, with a reason.
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

-- Files uploaded to the import page, kept between the dry run and the officer's confirmation:
-- the confirmation form carries only the upload's id, so what is imported is the very file that
-- was checked, read again from here, and only by the account that uploaded it. An upload is
-- good for an hour; older ones are deleted when the next file of the province is kept.
CREATE TABLE chitieu.import_upload (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    upload_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('results', 'targets')),
    phase       text,
    filename    text NOT NULL DEFAULT '',
    digest      bytea NOT NULL,
    bytes       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, upload_id),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE
);
CREATE INDEX import_upload_created ON chitieu.import_upload (province_id, created_at);
COMMENT ON TABLE chitieu.import_upload IS
    'Files uploaded to the import page, kept from the dry run to the confirmation (an hour at most), read back only by the account that uploaded them.';
COMMENT ON COLUMN chitieu.import_upload.digest IS 'SHA-256 of bytes, shown to the officer and checked when the file is read back.';

-- ─── Completion (progress) ──────────────────────────────────────────────────────────────────
--
-- Derived data that chitieu.compute_progress (SQL/repeatable/05_progress.sql) alone writes,
-- from existing units, indicators and phases, deleting the figures of units that left the
-- phase: no foreign keys (they cost half of every recomputation's writes and guard nothing the
-- function does not). The dashboard reads one table: each figure keeps copies of its unit's,
-- indicator's and phase's fields.

CREATE TABLE chitieu.progress (
    province_id     bigint NOT NULL,
    progress_id     bigint GENERATED ALWAYS AS IDENTITY,
    indicator_id    bigint NOT NULL,
    unit_id         bigint NOT NULL,
    phase_id        bigint NOT NULL,
    year            smallint,
    target          bigint,
    achieved        bigint NOT NULL DEFAULT 0,
    achieved_with_submitted bigint NOT NULL DEFAULT 0,
    -- A rate of a million or more (a target of 1, a result of 1,000,000) must not fail the job.
    rate            numeric(18, 6),
    status          text NOT NULL CHECK (status IN ('completed', 'on_track', 'behind', 'no_target', 'suspended')),
    computed_at     timestamptz NOT NULL DEFAULT now(),
    companion       bigint,
    unit_level      text,
    unit_code       text,
    unit_name       text COLLATE chitieu.vi,
    parent_id       bigint,
    indicator_code  text,
    indicator_name  text COLLATE chitieu.vi,
    measure_unit    text COLLATE chitieu.vi,
    companion_measure text COLLATE chitieu.vi,
    phase_code      text,
    rate_with_submitted numeric(18, 6),
    PRIMARY KEY (province_id, progress_id),
    -- An officer's figures are read unit by unit of their scope: the key leads with the unit.
    CONSTRAINT progress_figure_key UNIQUE NULLS NOT DISTINCT (province_id, unit_id, phase_id, year, indicator_id)
);
-- Dashboards ask for a province's year (or its phase figures, year NULL) without naming the
-- phase: the index leads with the year.
CREATE INDEX progress_dashboard ON chitieu.progress (province_id, year, phase_id, indicator_id, unit_id);
COMMENT ON TABLE chitieu.progress IS 'Computed completion per indicator, unit, phase and year (year NULL: the whole phase). Written by jobs.';
COMMENT ON COLUMN chitieu.progress.achieved IS 'From approved results only.';
COMMENT ON COLUMN chitieu.progress.achieved_with_submitted IS 'Including submitted but not yet approved results.';
COMMENT ON COLUMN chitieu.progress.rate IS 'achieved / target; NULL when there is no target.';
COMMENT ON COLUMN chitieu.progress.status IS 'completed, on_track, behind, no_target or suspended.';
COMMENT ON COLUMN chitieu.progress.computed_at IS 'When the figure was computed.';
COMMENT ON COLUMN chitieu.progress.companion IS 'The companion figure (members, participants) of the approved results, counted like achieved.';
COMMENT ON COLUMN chitieu.progress.indicator_name IS 'Copy of the indicator''s name, kept by chitieu.compute_progress (as are its code and measures, and the phase''s code).';
COMMENT ON COLUMN chitieu.progress.rate_with_submitted IS 'achieved_with_submitted / target; NULL without a target.';

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

-- The share of the years first..last elapsed on p_today: 0 before, 1 after (the "on track"
-- line of chitieu.compute_progress).
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

-- ─── Audit log ──────────────────────────────────────────────────────────────────────────────

CREATE TABLE chitieu.audit_event (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    event_id    bigint GENERATED ALWAYS AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_label text NOT NULL,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   text,
    before      jsonb,
    after       jsonb,
    -- How the change came (api, cli, job), the request it belonged to, and the unit it
    -- concerns (so a district reads the events of its own subtree).
    via         text NOT NULL DEFAULT 'cli' CHECK (via IN ('api', 'cli', 'job')),
    request_id  text CHECK (request_id IS NULL OR length(request_id) <= 200),
    unit_id     bigint,
    PRIMARY KEY (province_id, event_id)
);
CREATE INDEX audit_event_at ON chitieu.audit_event (province_id, at);
CREATE INDEX audit_event_entity ON chitieu.audit_event (province_id, entity_type, entity_id);
COMMENT ON TABLE chitieu.audit_event IS 'Append-only log of changes: who, what, before and after.';
COMMENT ON COLUMN chitieu.audit_event.actor_label IS 'Username, or the operator command that acted (e.g. cli:tenant create).';

-- ─── Jobs ───────────────────────────────────────────────────────────────────────────────────
--
-- The job queue: a plain table (on the coordinator under Citus), not a tenant table.

CREATE TABLE chitieu.job (
    job_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    province_id  bigint REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    unique_key   text,
    args         jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    priority     smallint NOT NULL DEFAULT 0,
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 10,
    lease_until  timestamptz,
    worker       text,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX job_unique_pending ON chitieu.job (unique_key) WHERE state = 'pending' AND unique_key IS NOT NULL;
CREATE INDEX job_ready ON chitieu.job (priority DESC, run_at) WHERE state = 'pending';
-- Claiming fairly between provinces: workers take the head of each province's pending jobs in
-- turn, so one province with a large backlog does not hold up another's job by more than a
-- batch; this index serves both the walk over provinces with pending jobs and each head.
CREATE INDEX job_pending_by_province ON chitieu.job (province_id, priority DESC, run_at, job_id) WHERE state = 'pending';
-- Deployment-wide jobs (no province) have their own head: a btree's IS NULL condition does
-- not give the province index's order, so without this the head would be a sort of them all.
CREATE INDEX job_pending_global ON chitieu.job (priority DESC, run_at, job_id) WHERE state = 'pending' AND province_id IS NULL;
-- What a metrics scrape counts: running and failed jobs, without reading the finished ones.
CREATE INDEX job_running_or_failed ON chitieu.job (state) WHERE state IN ('running', 'failed');
COMMENT ON TABLE chitieu.job IS 'Durable job queue (allocation, completion rates, housekeeping).';

-- Recurring jobs. Workers enqueue a schedule's job when it falls due (at most one pending per
-- schedule) and move the schedule to its next time.
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

-- Every night, Vietnam time: completion of every province and phase in full (02:00); finished
-- jobs pruned, keeping two weeks (03:00); tokens that expired or were revoked more than 30 days
-- ago deleted, and stale login counters (03:10).
INSERT INTO chitieu.job_schedule (name, kind, args, every, next_run_at)
VALUES ('jobs.prune', 'jobs.prune', '{"retention_days": 14}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 3 hours') AT TIME ZONE 'Asia/Ho_Chi_Minh'),
       ('tokens.prune', 'tokens.prune', '{"retention_days": 30}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 3 hours 10 minutes') AT TIME ZONE 'Asia/Ho_Chi_Minh'),
       ('progress.all', 'progress.all', '{}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 2 hours') AT TIME ZONE 'Asia/Ho_Chi_Minh');

-- The tenants' ids, for deployment-wide jobs (nightly recomputation, pruning). Runs with the
-- owner's rights, which may list the tenant catalogue; it returns ids only.
CREATE FUNCTION chitieu.tenant_ids() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, chitieu AS $$
    SELECT province_id FROM chitieu.province ORDER BY province_id
$$;
REVOKE ALL ON FUNCTION chitieu.tenant_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.tenant_ids() TO chitieu_app;

-- An enqueue that joins a job pending under its key (chitieu.enqueue_job, in
-- SQL/repeatable/01_functions.sql) takes a shared advisory lock on the key until its
-- transaction ends, and writes nothing. A worker that claims a job under a key learns in the
-- same statement whether an enqueuer still holds the key (chitieu.enqueuers_open, which never
-- waits), and if so waits for them to end before it starts the job (chitieu.await_enqueuers);
-- both hold the key no longer than their own transaction. Keys are (1667919714,
-- hashtext(unique_key)): the first number ('cjob' in ASCII) keeps them apart from other
-- advisory locks; two keys sharing a hash only wait for each other needlessly.

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

-- ─── Announcements to the daemons ───────────────────────────────────────────────────────────
--
-- Any role of the cluster may NOTIFY chitieu_auth or chitieu_figures (PostgreSQL has no
-- privilege for it), so a notification proves nothing: a change is announced by bumping its
-- province's epoch in chitieu.cache_epoch, which only the owner writes (through
-- chitieu.announce_change, which the daemon's role may call), and the NOTIFY that follows
-- carries no payload. On a notification a daemon reads the epochs and drops the kept answers
-- of the provinces whose epoch moved, and only those: a forged notification costs it one read
-- of a small table and drops nothing. Whoever LISTENs learns that some change was made
-- somewhere in the deployment, and when, but not of which province.

CREATE TABLE chitieu.cache_epoch (
    channel     text NOT NULL CHECK (channel IN ('chitieu_auth', 'chitieu_figures')),
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    epoch       bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (channel, province_id)
);
COMMENT ON TABLE chitieu.cache_epoch IS
    'Per channel and province, how many changes were announced to the daemons (they drop what they kept of a province when its epoch moves). Written only through chitieu.announce_change.';

CREATE FUNCTION chitieu.announce_change(p_channel text, p_province_id bigint)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO chitieu.cache_epoch AS e (channel, province_id) VALUES (p_channel, p_province_id)
    ON CONFLICT (channel, province_id) DO UPDATE SET epoch = e.epoch + 1;
    SELECT pg_notify(p_channel, '');
$$;
COMMENT ON FUNCTION chitieu.announce_change(text, bigint) IS
    'Tells every daemon, at commit, that what it keeps of the province on this channel (chitieu_auth: tokens; chitieu_figures: progress answers) changed.';
REVOKE ALL ON FUNCTION chitieu.announce_change(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.announce_change(text, bigint) TO chitieu_app;

-- ─── Row-level security ─────────────────────────────────────────────────────────────────────
--
-- Enabled AND forced on every tenant table, failing closed. Policies, per kind of role
-- (permissive policies add up, so each is given only to its roles; Citus copies every policy
-- to the shards as a permissive one, so none is restrictive):
--   tenant_scope    TO chitieu_app and the owner: the province set by chitieu.use_province()
--                   for this transaction; with no setting, no rows.
--   reporting_scope TO chitieu_reporting: the provinces whose group chitieu_p<id> the login is a
--                   member of; setting app.province_id gains a reporting login nothing.
--   owner_catalogue the owner may list every tenant (chitieu.province only), for operators.

DO $$
DECLARE
    t text;
    tenant_tables text[] := ARRAY[
        'province', 'admin_unit', 'unit_succession', 'unit_attribute', 'phase', 'indicator', 'target',
        'allocation_rule', 'account', 'role_grant', 'credential', 'api_token', 'result', 'reporting_deadline',
        'deadline_exception', 'progress', 'progress_run', 'progress_on_units', 'province_lineage',
        'audit_event', 'import_upload'];
BEGIN
    FOREACH t IN ARRAY tenant_tables LOOP
        EXECUTE format('ALTER TABLE chitieu.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE chitieu.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_scope ON chitieu.%I TO chitieu_app, %I '
            'USING (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint) '
            'WITH CHECK (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint)',
            t, current_user);
        -- Reporting logins read the audit trail of plans, indicators, accounts and grants, not
        -- the comings and goings of tokens, sessions and jobs.
        EXECUTE format(
            'CREATE POLICY reporting_scope ON chitieu.%I FOR SELECT TO chitieu_reporting '
            'USING (pg_has_role(''chitieu_p'' || province_id, ''MEMBER'')%s)',
            t, CASE t WHEN 'audit_event' THEN ' AND entity_type NOT IN (''token'', ''job'')' ELSE '' END);
    END LOOP;
    EXECUTE format('CREATE POLICY owner_catalogue ON chitieu.province FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- ─── Privileges on tables ───────────────────────────────────────────────────────────────────

-- The daemon reads and writes tenant tables (through RLS); of the tenant catalogue it changes
-- one setting; the audit log is append-only; the schedules it reads and moves on; the epochs it
-- reads (announce_change writes them).
GRANT SELECT ON chitieu.province, chitieu.cache_epoch TO chitieu_app;
GRANT UPDATE (district_allocation) ON chitieu.province TO chitieu_app;
GRANT SELECT, INSERT ON chitieu.audit_event TO chitieu_app;
GRANT SELECT, UPDATE ON chitieu.job_schedule TO chitieu_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    chitieu.admin_unit, chitieu.unit_succession, chitieu.unit_attribute, chitieu.phase, chitieu.indicator,
    chitieu.target, chitieu.allocation_rule, chitieu.account, chitieu.login_name, chitieu.login_throttle,
    chitieu.role_grant, chitieu.credential, chitieu.api_token, chitieu.result, chitieu.reporting_deadline,
    chitieu.deadline_exception, chitieu.import_upload, chitieu.progress, chitieu.progress_run,
    chitieu.progress_on_units, chitieu.province_lineage, chitieu.job
TO chitieu_app;

-- Reporting logins: SELECT on what the reporting views read, never credentials, tokens, jobs,
-- accounts and their grants, or uploaded files (working copies, not data to report on).
GRANT SELECT ON
    chitieu.province, chitieu.province_lineage, chitieu.admin_unit, chitieu.unit_succession,
    chitieu.unit_attribute, chitieu.phase, chitieu.indicator, chitieu.target, chitieu.allocation_rule,
    chitieu.result, chitieu.reporting_deadline, chitieu.deadline_exception, chitieu.progress,
    chitieu.progress_run, chitieu.progress_on_units, chitieu.audit_event
TO chitieu_reporting;

-- ─── Reporting logins ───────────────────────────────────────────────────────────────────────
--
-- PostgreSQL roles are cluster-wide, so their names are checked here and quoted with format();
-- the password arrives as a SCRAM verifier computed by the client, so the clear text never
-- reaches the server or its logs.

-- Creates a province's reporting group chitieu_p<id> if it does not exist yet. Reporting
-- logins of that province are made members of it and of chitieu_reporting.
CREATE FUNCTION chitieu.ensure_reporting_group(p_province_id bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    role_name text := 'chitieu_p' || p_province_id;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    RETURN role_name;
END
$$;
COMMENT ON FUNCTION chitieu.ensure_reporting_group(bigint) IS 'Creates the reporting group chitieu_p<province_id> when missing; returns its name.';
REVOKE ALL ON FUNCTION chitieu.ensure_reporting_group(bigint) FROM PUBLIC;

CREATE FUNCTION chitieu.create_reporting_login(p_province_id bigint, p_login text, p_verifier text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    group_role text;
BEGIN
    IF p_login IS NULL OR p_login !~ '^[a-z_][a-z0-9_]{2,62}$' OR p_login LIKE 'pg\_%' OR p_login LIKE 'chitieu%' THEN
        RAISE EXCEPTION 'login: ''%'' is not a valid reporting login name', p_login
            USING ERRCODE = '22023', HINT = '3 to 63 characters: lower-case letters, digits and _, not starting with a digit, pg_ or chitieu';
    END IF;
    IF p_verifier IS NULL OR p_verifier !~ '^SCRAM-SHA-256\$' THEN
        RAISE EXCEPTION 'password: expected a SCRAM-SHA-256 verifier' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM chitieu.province WHERE province_id = p_province_id) THEN
        RAISE EXCEPTION 'province: no tenant has the id %', p_province_id USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN
        RAISE EXCEPTION 'login: a database role named ''%'' already exists', p_login USING ERRCODE = '42710';
    END IF;
    group_role := chitieu.ensure_reporting_group(p_province_id);
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT CONNECTION LIMIT 20 PASSWORD %L',
                   p_login, p_verifier);
    EXECUTE format('GRANT %I, chitieu_reporting TO %I', group_role, p_login);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), p_login);
    EXECUTE format('ALTER ROLE %I SET search_path = reporting', p_login);
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', p_login);
    EXECUTE format('COMMENT ON ROLE %I IS %L', p_login, 'chitieu reporting login, province ' || p_province_id);
END
$$;
COMMENT ON FUNCTION chitieu.create_reporting_login(bigint, text, text) IS 'Creates a LOGIN role that reads one province through the reporting views.';
REVOKE ALL ON FUNCTION chitieu.create_reporting_login(bigint, text, text) FROM PUBLIC;

CREATE FUNCTION chitieu.drop_reporting_login(p_login text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_roles r
        JOIN pg_auth_members m ON m.member = r.oid
        JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'chitieu_reporting'
        WHERE r.rolname = p_login AND r.rolcanlogin
    ) THEN
        RAISE EXCEPTION 'login: ''%'' is not a reporting login', p_login USING ERRCODE = '22023';
    END IF;
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), p_login);
    EXECUTE format('DROP ROLE %I', p_login);
END
$$;
COMMENT ON FUNCTION chitieu.drop_reporting_login(text) IS 'Drops a reporting login (and nothing else).';
REVOKE ALL ON FUNCTION chitieu.drop_reporting_login(text) FROM PUBLIC;

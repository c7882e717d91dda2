-- chitieu 0002: the tenant tables. Each carries province_id first in its primary key and in
-- every foreign key to another tenant table (ready to be distributed by province on Citus).
-- Ids are bigint identities or UUIDs. No ON DELETE SET NULL between tenant tables.

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

CREATE TABLE chitieu.unit_succession (
    province_id    bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    succession_id  bigint GENERATED ALWAYS AS IDENTITY,
    from_unit_id   bigint NOT NULL,
    to_unit_id     bigint NOT NULL,
    effective_date date NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('whole', 'split', 'split-default')),
    weight         numeric(9, 6) NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    PRIMARY KEY (province_id, succession_id),
    UNIQUE (province_id, from_unit_id, to_unit_id, effective_date),
    FOREIGN KEY (province_id, from_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, to_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.unit_succession IS 'Which unit became which on a date: whole (moved whole) or split (divided, by weight).';
COMMENT ON COLUMN chitieu.unit_succession.weight IS 'Share of the old unit that went to the new one (1 for whole).';

CREATE TABLE chitieu.phase (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    phase_id    bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code ~ '^[0-9]{4}-[0-9]{4}$'),
    first_year  smallint NOT NULL,
    last_year   smallint NOT NULL,
    PRIMARY KEY (province_id, phase_id),
    UNIQUE (province_id, code),
    CHECK (last_year >= first_year AND last_year - first_year < 20),
    CHECK (code = first_year || '-' || last_year)
);
COMMENT ON TABLE chitieu.phase IS 'A planning phase of a province, e.g. 2021-2025 (phase I) or 2026-2030 (phase II).';
COMMENT ON COLUMN chitieu.phase.code IS 'First and last year, e.g. 2021-2025.';

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
    PRIMARY KEY (province_id, rule_id),
    UNIQUE (province_id, indicator_id, phase_id, unit_id),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE RESTRICT,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT
);
COMMENT ON TABLE chitieu.allocation_rule IS 'How a unit''s target is split among its children and over the phase''s years.';

CREATE TABLE chitieu.account (
    province_id  bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    account_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    username     text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    display_name text COLLATE chitieu.vi NOT NULL CHECK (chitieu.is_clean_name(display_name, 200)),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, account_id),
    UNIQUE (province_id, username)
);
COMMENT ON TABLE chitieu.account IS 'A person or integration that signs in to a province.';

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
    PRIMARY KEY (province_id, grant_id),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT
);
CREATE INDEX role_grant_account ON chitieu.role_grant (province_id, account_id);
COMMENT ON TABLE chitieu.role_grant IS 'A role held by an account at an administrative unit; it reaches the unit''s whole subtree.';

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
    PRIMARY KEY (province_id, token_id),
    UNIQUE (province_id, token_hash),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.api_token IS 'Bearer tokens, stored only as SHA-256 (never readable by reporting logins).';

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
    PRIMARY KEY (province_id, result_id),
    UNIQUE (province_id, idempotency_key),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE RESTRICT,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT,
    CHECK (period_end >= period_start)
);
CREATE INDEX result_lookup ON chitieu.result (province_id, indicator_id, unit_id, period_end);
COMMENT ON TABLE chitieu.result IS 'What a unit reported for an indicator and period: draft, submitted, approved or returned.';
COMMENT ON COLUMN chitieu.result.value IS 'Reported count (for stock indicators, the level at period_end).';
COMMENT ON COLUMN chitieu.result.breakdown IS 'Breakdown by the indicator''s disaggregation, e.g. {"nữ": 30, "nam": 12}.';
COMMENT ON COLUMN chitieu.result.state IS 'draft → submitted → approved, or returned (back to draft with a reason).';

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
    rate            numeric(12, 6),
    status          text NOT NULL CHECK (status IN ('completed', 'on_track', 'behind', 'no_target', 'suspended')),
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, progress_id),
    UNIQUE NULLS NOT DISTINCT (province_id, indicator_id, unit_id, phase_id, year),
    FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE CASCADE,
    FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE CASCADE
);
COMMENT ON TABLE chitieu.progress IS 'Computed completion per indicator, unit, phase and year (year NULL: the whole phase). Written by jobs.';
COMMENT ON COLUMN chitieu.progress.achieved IS 'From approved results only.';
COMMENT ON COLUMN chitieu.progress.achieved_with_submitted IS 'Including submitted but not yet approved results.';
COMMENT ON COLUMN chitieu.progress.rate IS 'achieved / target; NULL when there is no target.';
COMMENT ON COLUMN chitieu.progress.status IS 'completed, on_track, behind, no_target or suspended.';
COMMENT ON COLUMN chitieu.progress.computed_at IS 'When the figure was computed.';

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
    PRIMARY KEY (province_id, event_id)
);
CREATE INDEX audit_event_at ON chitieu.audit_event (province_id, at);
COMMENT ON TABLE chitieu.audit_event IS 'Append-only log of changes: who, what, before and after.';
COMMENT ON COLUMN chitieu.audit_event.actor_label IS 'Username, or the operator command that acted (e.g. cli:tenant create).';

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
COMMENT ON TABLE chitieu.job IS 'Durable job queue (allocation, completion rates, housekeeping).';

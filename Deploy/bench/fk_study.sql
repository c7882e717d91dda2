-- What the composite foreign keys of chitieu.target and chitieu.result cost a bulk write, and
-- what the alternatives would cost (docs/data-model.md, "Foreign keys and bulk writes").
--
-- Run with psql as a superuser on a scratch copy of the national benchmark database (the one
-- `bench allocate` and `bench progress` filled): it works in a schema fk_study of its own, which
-- it drops at the end, and changes nothing in chitieu. Every variant writes the same rows — every
-- target cell (about 647,000), and the results of one province in three (about 700,000) — by one
-- INSERT … SELECT into an empty copy of the table; three rounds, the variants alternated in each;
-- psql's \timing prints every statement, and the closing table gives each variant's median and
-- range. The variants:
--   bare      the columns only, no index, no key: the floor of the storage itself
--   (b) keys  primary key, unique constraints and indexes, checks — no foreign key
--   (a) fk    the same plus the foreign keys, as chitieu has them today
--   (c) nv    the foreign keys dropped, the batch written, the keys added NOT VALID and validated
--   (d) set   no foreign key; the batch's distinct references checked (and their parents locked
--             FOR KEY SHARE, as a key's check does) by one query per parent, then the batch written
--   (e) unit  only the key to admin_unit (the catalogues indicator and phase left unguarded)
--   (f) owner the fk variant as chitieu_owner instead of a superuser (row-level security is
--             forced on the parents: does a key's check pay for it?)
-- Then, once: whether each key's check finds a unique index in its exact column order and uses
-- it, and whether a key's check sees rows that row-level security hides.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS fk_study CASCADE;
CREATE SCHEMA fk_study;
GRANT USAGE, CREATE ON SCHEMA fk_study TO chitieu_owner;
CREATE TABLE fk_study.timing (tbl text, variant text, round int, seconds numeric);

-- The columns a writer gives (not the identity, not the generated year).
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS tcols FROM pg_attribute
WHERE attrelid = 'chitieu.target'::regclass AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = '' \gset
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS rcols FROM pg_attribute
WHERE attrelid = 'chitieu.result'::regclass AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = '' \gset

CREATE TABLE fk_study.target_src AS SELECT :tcols FROM chitieu.target;
CREATE TABLE fk_study.result_src AS SELECT :rcols FROM chitieu.result WHERE province_id % 3 = 0;
SELECT (SELECT count(*) FROM fk_study.target_src) AS target_rows, (SELECT count(*) FROM fk_study.result_src) AS result_rows;

-- The keys chitieu has (SQL/migrations/0002), per table.
CREATE TABLE fk_study.parent (tbl text, name text, parent text, cols text, on_delete text);
INSERT INTO fk_study.parent VALUES
    ('target', 'indicator', 'chitieu.indicator', 'province_id, indicator_id', 'CASCADE'),
    ('target', 'unit', 'chitieu.admin_unit', 'province_id, unit_id', 'RESTRICT'),
    ('target', 'phase', 'chitieu.phase', 'province_id, phase_id', 'RESTRICT'),
    ('result', 'province', 'chitieu.province', 'province_id', 'CASCADE'),
    ('result', 'indicator', 'chitieu.indicator', 'province_id, indicator_id', 'RESTRICT'),
    ('result', 'unit', 'chitieu.admin_unit', 'province_id, unit_id', 'RESTRICT');

-- Adds ('ADD', 'ADD NOT VALID'), drops or validates the keys of a copy (the unit copy: its one key).
CREATE FUNCTION fk_study.keys(p_tbl text, p_copy text, p_action text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE k record;
BEGIN
    FOR k IN SELECT * FROM fk_study.parent WHERE tbl = p_tbl AND (p_copy <> 'unit' OR name = 'unit') LOOP
        EXECUTE format(CASE p_action
            WHEN 'DROP' THEN 'ALTER TABLE fk_study.%1$I DROP CONSTRAINT %2$I'
            WHEN 'VALIDATE' THEN 'ALTER TABLE fk_study.%1$I VALIDATE CONSTRAINT %2$I'
            ELSE 'ALTER TABLE fk_study.%1$I ADD CONSTRAINT %2$I FOREIGN KEY (%3$s) REFERENCES %4$s (%3$s) ON DELETE %5$s'
                 || CASE WHEN p_action = 'ADD NOT VALID' THEN ' NOT VALID' ELSE '' END END,
            p_tbl || '_' || p_copy, p_tbl || '_' || p_copy || '_' || k.name, k.cols, k.parent, k.on_delete);
    END LOOP;
END $$;

-- (d): for each parent, one query over the batch's distinct references, which locks them
-- FOR KEY SHARE as a key's check does; refuses the batch if one is missing.
CREATE FUNCTION fk_study.check_references(p_tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE k record; missing bigint;
BEGIN
    FOR k IN SELECT * FROM fk_study.parent WHERE tbl = p_tbl LOOP
        EXECUTE format('WITH refs AS MATERIALIZED (SELECT DISTINCT %1$s FROM fk_study.%2$I),
                        held AS (SELECT 1 FROM %3$s x JOIN refs r USING (%1$s) FOR KEY SHARE OF x)
                        SELECT (SELECT count(*) FROM refs) - (SELECT count(*) FROM held)', k.cols, p_tbl || '_src', k.parent) INTO missing;
        IF missing > 0 THEN RAISE EXCEPTION '% references to % missing', missing, k.parent; END IF;
    END LOOP;
END $$;

-- One variant written once (in one transaction, its keys' work included): the seconds, recorded.
CREATE FUNCTION fk_study.timed(p_tbl text, p_variant text, p_round int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    copy text := CASE p_variant WHEN 'bare' THEN 'bare' WHEN '(b) keys' THEN 'keys' WHEN '(a) fk' THEN 'fk'
                 WHEN '(c) not valid + validate' THEN 'nv' WHEN '(d) set-wise check' THEN 'set' WHEN '(e) unit key only' THEN 'unit' ELSE 'owner' END;
    cols text;
    t0 timestamptz := clock_timestamp();
    seconds numeric;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
    WHERE attrelid = ('chitieu.' || p_tbl)::regclass AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = '';
    IF copy = 'nv' THEN PERFORM fk_study.keys(p_tbl, copy, 'DROP'); END IF;
    IF copy = 'set' THEN PERFORM fk_study.check_references(p_tbl); END IF;
    EXECUTE format('INSERT INTO fk_study.%I (%s) SELECT %s FROM fk_study.%I', p_tbl || '_' || copy, cols, cols, p_tbl || '_src');
    IF copy = 'nv' THEN
        PERFORM fk_study.keys(p_tbl, copy, 'ADD NOT VALID');
        PERFORM fk_study.keys(p_tbl, copy, 'VALIDATE');
    END IF;
    seconds := extract(epoch FROM clock_timestamp() - t0);
    INSERT INTO fk_study.timing VALUES (p_tbl, p_variant, p_round, seconds);
    RETURN round(seconds, 2);
END $$;

-- One empty copy per variant, the keys on those that keep them.
DO $$
DECLARE t text; c text;
BEGIN
    FOREACH t IN ARRAY ARRAY['target', 'result'] LOOP
        EXECUTE format('CREATE TABLE fk_study.%I (LIKE chitieu.%I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED)', t || '_bare', t);
        FOREACH c IN ARRAY ARRAY['keys', 'set', 'fk', 'nv', 'unit', 'owner'] LOOP
            EXECUTE format('CREATE TABLE fk_study.%I (LIKE chitieu.%I INCLUDING ALL)', t || '_' || c, t);
            IF c IN ('fk', 'nv', 'owner', 'unit') THEN PERFORM fk_study.keys(t, c, 'ADD'); END IF;
        END LOOP;
        EXECUTE format('ALTER TABLE fk_study.%I OWNER TO chitieu_owner', t || '_owner');
    END LOOP;
END $$;
GRANT SELECT ON fk_study.target_src, fk_study.result_src, fk_study.parent TO chitieu_owner;
GRANT INSERT ON fk_study.timing TO chitieu_owner;
VACUUM ANALYZE fk_study.target_src, fk_study.result_src, chitieu.admin_unit, chitieu.indicator, chitieu.phase, chitieu.province;

\timing on
\set round 1
\ir fk_study_round.sql
\ir fk_study_round.sql
\ir fk_study_round.sql
\timing off

\echo 'Seconds per variant: median of three alternated rounds (min–max). A loaded machine: compare within one run.'
SELECT tbl AS "table", variant,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 2) AS median,
       round(min(seconds), 2) || '–' || round(max(seconds), 2) AS range,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric
             / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric FROM fk_study.timing b
                WHERE b.tbl = t.tbl AND b.variant = '(b) keys'), 2) AS "× (b) keys"
FROM fk_study.timing t GROUP BY tbl, variant ORDER BY tbl DESC, median;

\echo 'Does every key find a unique index on exactly its referenced columns, in order?'
SELECT c.conrelid::regclass AS "table", c.conname AS "key", c.confrelid::regclass AS parent,
       c.conindid::regclass AS "index used", i.indisunique AS "unique",
       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(att, n)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) AS "referenced",
       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) AS "index columns"
FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid
WHERE c.contype = 'f' AND c.conrelid IN ('chitieu.target'::regclass, 'chitieu.result'::regclass) ORDER BY 1, 2;

\echo 'The check a key runs for each written row (ri_triggers.c), as a generic plan:'
SET plan_cache_mode = force_generic_plan;
PREPARE unit_check(bigint, bigint) AS
    SELECT 1 FROM ONLY chitieu.admin_unit x WHERE province_id = $1 AND unit_id = $2 FOR KEY SHARE OF x;
EXPLAIN (COSTS OFF) EXECUTE unit_check(1, 1);
DEALLOCATE unit_check;
RESET plan_cache_mode;

\echo 'Does a key check rows that row-level security hides from the writer? A policy hiding every'
\echo 'unit from everyone, then a target cell written as chitieu_owner (rolled back):'
BEGIN;
CREATE POLICY fk_study_hide_all ON chitieu.admin_unit AS RESTRICTIVE USING (false);
TRUNCATE fk_study.target_owner;
SET LOCAL ROLE chitieu_owner;
SELECT set_config('app.province_id', province_id::text, true) AS province FROM fk_study.target_src LIMIT 1 \gset
SELECT count(*) AS "units the writer sees" FROM chitieu.admin_unit WHERE province_id = :province;
INSERT INTO fk_study.target_owner (:tcols) SELECT :tcols FROM fk_study.target_src WHERE province_id = :province LIMIT 1;
\echo 'written: the check ran as the parent''s owner with row-level security off (SECURITY_NOFORCE_RLS).'
ROLLBACK;

DROP SCHEMA fk_study CASCADE;

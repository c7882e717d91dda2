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

-- One empty copy per variant.
CREATE TABLE fk_study.target_bare (LIKE chitieu.target INCLUDING DEFAULTS INCLUDING IDENTITY);
CREATE TABLE fk_study.result_bare (LIKE chitieu.result INCLUDING DEFAULTS INCLUDING GENERATED);
CREATE TABLE fk_study.target_keys (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_keys (LIKE chitieu.result INCLUDING ALL);
CREATE TABLE fk_study.target_set (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_set (LIKE chitieu.result INCLUDING ALL);
CREATE TABLE fk_study.target_fk (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_fk (LIKE chitieu.result INCLUDING ALL);
CREATE TABLE fk_study.target_nv (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_nv (LIKE chitieu.result INCLUDING ALL);
CREATE TABLE fk_study.target_unit (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_unit (LIKE chitieu.result INCLUDING ALL);
CREATE TABLE fk_study.target_owner (LIKE chitieu.target INCLUDING ALL);
CREATE TABLE fk_study.result_owner (LIKE chitieu.result INCLUDING ALL);
ALTER TABLE fk_study.target_owner OWNER TO chitieu_owner;
ALTER TABLE fk_study.result_owner OWNER TO chitieu_owner;
GRANT SELECT ON fk_study.target_src, fk_study.result_src TO chitieu_owner;
GRANT INSERT ON fk_study.timing TO chitieu_owner;

-- The keys chitieu has (SQL/migrations/0002), on the copies that keep them.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['target_fk', 'target_nv', 'target_owner'] LOOP
        EXECUTE format('ALTER TABLE fk_study.%I
            ADD CONSTRAINT %I FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE,
            ADD CONSTRAINT %I FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT,
            ADD CONSTRAINT %I FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE RESTRICT',
            t, t || '_indicator', t || '_unit', t || '_phase');
    END LOOP;
    FOREACH t IN ARRAY ARRAY['result_fk', 'result_nv', 'result_owner'] LOOP
        EXECUTE format('ALTER TABLE fk_study.%I
            ADD CONSTRAINT %I FOREIGN KEY (province_id) REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
            ADD CONSTRAINT %I FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE RESTRICT,
            ADD CONSTRAINT %I FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT',
            t, t || '_province', t || '_indicator', t || '_unit');
    END LOOP;
END $$;
ALTER TABLE fk_study.target_unit ADD FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT;
ALTER TABLE fk_study.result_unit ADD FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT;
VACUUM ANALYZE fk_study.target_src, fk_study.result_src, chitieu.admin_unit, chitieu.indicator, chitieu.phase, chitieu.province;

\timing on
\set round 1
\ir fk_study_round.sql
\set round 2
\ir fk_study_round.sql
\set round 3
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

-- Sizes of the national benchmark data (phase I: 63 provinces, 10,035 communes), per table and
-- per province, and projected to 2021-2030 for the 34 provinces of the 2025 reform: phase II on
-- its 3,321 communes at phase I's pace adds 3,321 / 10,035 of phase I. Run with psql as a
-- superuser on the database `bench allocate` and `bench progress` filled.
\pset footer off
-- The rows below are the planner's counts (pg_class.reltuples): brought up to date first, since
-- the benchmarks before this one leave tables written after their last analysis.
ANALYZE;
\echo 'tables of chitieu, phase I, national'
SELECT c.relname AS "table", c.reltuples::bigint AS "rows", pg_size_pretty(pg_total_relation_size(c.oid)) AS "with indexes",
       round(pg_total_relation_size(c.oid) / greatest(c.reltuples, 1)) AS "bytes a row"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'chitieu' AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 1024 * 1024
ORDER BY pg_total_relation_size(c.oid) DESC;

WITH total AS (
    SELECT sum(pg_total_relation_size(c.oid)) AS bytes, sum(greatest(c.reltuples, 0))::bigint AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chitieu' AND c.relkind = 'r'
), largest AS (
    SELECT p.name, count(*)::numeric / (SELECT count(*) FROM chitieu.result) AS share
    FROM chitieu.result r JOIN chitieu.province p USING (province_id) GROUP BY p.name ORDER BY count(*) DESC LIMIT 1
), provinces AS (SELECT count(*) AS n FROM chitieu.province)
SELECT pg_size_pretty(t.bytes) AS "phase I, all",
       t.rows AS "rows",
       pg_size_pretty(t.bytes / p.n) AS "a province, average",
       pg_size_pretty((t.bytes * l.share)::bigint) || ' (' || l.name || ')' AS "the largest",
       pg_size_pretty((t.bytes * (1 + 3321.0 / 10035))::bigint) AS "2021-2030, 34 provinces",
       (t.rows * (1 + 3321.0 / 10035))::bigint AS "rows 2021-2030",
       pg_size_pretty((t.bytes * (1 + 3321.0 / 10035) / 34)::bigint) AS "a province 2021-2030"
FROM total t, largest l, provinces p;

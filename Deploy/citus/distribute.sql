-- chitieu on Citus: distribute the tables by province, on the coordinator, in database chitieu,
-- as a superuser (postgres), after `chitieu db migrate` (see README.md beside this file):
--
--   psql -v ON_ERROR_STOP=1 -d chitieu -U postgres -f Deploy/citus/distribute.sql
--
-- As a superuser because, with rows in the tables, Citus copies them into the shards with COPY,
-- which row-level security refuses to the owner. One transaction: it distributes everything or
-- nothing, on empty tables and on tables with rows. Re-runnable: a table already distributed is
-- left alone, so after a migration that adds a tenant table, add it below and run the file again.
--
-- Reference tables (a copy on every node):
--   province     the tenant catalogue. Every tenant table, the username directory and the job
--                queue refer to it, and Citus lets distributed, reference and coordinator tables
--                all refer to a reference table (a reference table cannot refer to a distributed one).
--   login_name   which province a username belongs to, read before the province is known.
-- Distributed by province_id, all co-located with admin_unit (the first tenant table), so a
-- transaction of one province runs on one node and joins between tenant tables stay local.
-- Listed so that every table comes after the tables its foreign keys refer to.
-- Left on the coordinator: job (the queue, claimed with FOR UPDATE SKIP LOCKED), job_schedule,
-- login_throttle, cache_epoch (what daemons read on a notification, across provinces), and the
-- bookkeeping of migrations.

BEGIN;
-- Otherwise making province a reference table turns every table that refers to it into a Citus
-- local table, which can then not be distributed.
SET LOCAL citus.enable_local_reference_table_foreign_keys = off;
-- Rows are moved into the shards of several tables in one transaction: one connection per node.
SET LOCAL citus.multi_shard_modify_mode = 'sequential';

-- A table that Citus manages otherwise than below (a Citus local table left by an earlier version
-- of this file, run without the setting above) stops the run, named, instead of being skipped.
DO $$
DECLARE
    wrong text;
BEGIN
    SELECT string_agg(format('%s (%s)', logicalrelid::regclass, CASE partmethod WHEN 'n' THEN 'a Citus local or reference table' ELSE 'distributed by ' || column_to_column_name(logicalrelid, partkey) END), ', ')
    INTO wrong
    FROM pg_dist_partition
    WHERE logicalrelid::regclass::text LIKE 'chitieu.%'
      AND CASE WHEN logicalrelid IN ('chitieu.province'::regclass, 'chitieu.login_name'::regclass) THEN NOT (partmethod = 'n' AND repmodel = 't')
               ELSE NOT (partmethod = 'h' AND column_to_column_name(logicalrelid, partkey) = 'province_id') END;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'Citus already manages these tables otherwise than distribute.sql makes them: %', wrong
            USING HINT = 'Citus cannot turn them back (their identity columns): restore the backup taken before distributing, or drop and create again a database without rows, then run distribute.sql (see Deploy/citus/README.md)';
    END IF;
END
$$;

SELECT create_reference_table('chitieu.province')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.province'::regclass);
SELECT create_reference_table('chitieu.login_name')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.login_name'::regclass);

SELECT create_distributed_table('chitieu.admin_unit', 'province_id')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.admin_unit'::regclass);
SELECT create_distributed_table('chitieu.phase', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.phase'::regclass);
SELECT create_distributed_table('chitieu.indicator', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.indicator'::regclass);
SELECT create_distributed_table('chitieu.account', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.account'::regclass);
SELECT create_distributed_table('chitieu.unit_succession', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.unit_succession'::regclass);
SELECT create_distributed_table('chitieu.unit_attribute', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.unit_attribute'::regclass);
SELECT create_distributed_table('chitieu.target', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.target'::regclass);
SELECT create_distributed_table('chitieu.allocation_rule', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.allocation_rule'::regclass);
SELECT create_distributed_table('chitieu.role_grant', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.role_grant'::regclass);
SELECT create_distributed_table('chitieu.credential', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.credential'::regclass);
SELECT create_distributed_table('chitieu.api_token', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.api_token'::regclass);
SELECT create_distributed_table('chitieu.result', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.result'::regclass);
SELECT create_distributed_table('chitieu.progress', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.progress'::regclass);
SELECT create_distributed_table('chitieu.province_lineage', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.province_lineage'::regclass);
SELECT create_distributed_table('chitieu.progress_on_units', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.progress_on_units'::regclass);
SELECT create_distributed_table('chitieu.progress_run', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.progress_run'::regclass);
SELECT create_distributed_table('chitieu.reporting_deadline', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.reporting_deadline'::regclass);
SELECT create_distributed_table('chitieu.deadline_exception', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.deadline_exception'::regclass);
SELECT create_distributed_table('chitieu.audit_event', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.audit_event'::regclass);
SELECT create_distributed_table('chitieu.import_upload', 'province_id', colocate_with => 'chitieu.admin_unit')
WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chitieu.import_upload'::regclass);

-- withTenant's SET LOCAL app.province_id must reach the workers that run the transaction's
-- statements, for the daemon and for operator commands run as the owner (the table owner, taken
-- from the catalogue and quoted).
ALTER ROLE chitieu_app SET citus.propagate_set_commands = 'local';
DO $$
BEGIN
    EXECUTE format('ALTER ROLE %I SET citus.propagate_set_commands = %L',
                   (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'chitieu.province'::regclass), 'local');
END
$$;

COMMIT;

-- chitieu 0003: row-level security, enabled AND forced on every tenant table, failing closed.
--
-- Policies, per kind of role (permissive policies add up, so each is given only to its roles):
--   tenant_scope    TO chitieu_app and the owner: the province set by chitieu.use_province()
--                   for this transaction; with no setting, no rows.
--   reporting_scope TO chitieu_reporting: the provinces whose group chitieu_p<id> the login is a
--                   member of; setting app.province_id gains a reporting login nothing.
--   owner_catalogue the owner may list every tenant (chitieu.province only), for operators.

DO $$
DECLARE
    t text;
    tenant_tables text[] := ARRAY[
        'province', 'admin_unit', 'unit_succession', 'phase', 'indicator', 'target', 'allocation_rule',
        'account', 'role_grant', 'credential', 'api_token', 'result', 'progress', 'audit_event'];
BEGIN
    FOREACH t IN ARRAY tenant_tables LOOP
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
    END LOOP;
    EXECUTE format('CREATE POLICY owner_catalogue ON chitieu.province FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- The daemon: read and write tenant tables (through RLS); the audit log is append-only.
GRANT SELECT ON ALL TABLES IN SCHEMA chitieu TO chitieu_app;
GRANT INSERT, UPDATE, DELETE ON
    chitieu.admin_unit, chitieu.unit_succession, chitieu.phase, chitieu.indicator, chitieu.target,
    chitieu.allocation_rule, chitieu.account, chitieu.role_grant, chitieu.credential, chitieu.api_token,
    chitieu.result, chitieu.progress, chitieu.job
TO chitieu_app;
GRANT INSERT ON chitieu.audit_event TO chitieu_app;

-- Reporting logins: SELECT on what the reporting views read, never credentials, tokens or jobs.
GRANT SELECT ON
    chitieu.province, chitieu.admin_unit, chitieu.unit_succession, chitieu.phase, chitieu.indicator,
    chitieu.target, chitieu.allocation_rule, chitieu.result, chitieu.progress
TO chitieu_reporting;

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

-- The daemon checks, for /ready, that the migrations are current.
GRANT USAGE ON SCHEMA chitieu_migrations TO chitieu_app;
GRANT SELECT ON chitieu_migrations.applied TO chitieu_app;

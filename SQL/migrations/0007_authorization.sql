-- chitieu 0007: authorization. Deployment-wide login names, login throttling, where an account
-- belongs, the province's delegation of allocation to districts, the context of audit events,
-- and the functions operators use to manage reporting logins.

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

GRANT SELECT, INSERT, UPDATE, DELETE ON chitieu.login_name, chitieu.login_throttle TO chitieu_app;

-- The unit an account belongs to: who may manage it follows from it.
ALTER TABLE chitieu.account ADD COLUMN home_unit_id bigint;
ALTER TABLE chitieu.account ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE chitieu.account ADD CONSTRAINT account_home_unit_fkey
    FOREIGN KEY (province_id, home_unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT;
COMMENT ON COLUMN chitieu.account.home_unit_id IS 'The unit the account belongs to (its officers manage it); NULL: the province.';

ALTER TABLE chitieu.role_grant ADD COLUMN revoked_at timestamptz;
ALTER TABLE chitieu.role_grant ADD COLUMN revoked_by uuid;
CREATE INDEX role_grant_unit ON chitieu.role_grant (province_id, unit_id);
COMMENT ON COLUMN chitieu.role_grant.revoked_at IS 'When the grant was withdrawn; a revoked grant stays on record and gives nothing.';

-- Whether district officers may plan their communes' targets (rules, overrides, allocation).
ALTER TABLE chitieu.province ADD COLUMN district_allocation boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN chitieu.province.district_allocation IS 'When true, district officers set allocation rules and overrides for their communes.';
GRANT UPDATE (district_allocation) ON chitieu.province TO chitieu_app;

ALTER TABLE chitieu.api_token ADD COLUMN kind text NOT NULL DEFAULT 'integration' CHECK (kind IN ('session', 'integration'));
ALTER TABLE chitieu.api_token ADD COLUMN created_by uuid;
CREATE INDEX api_token_expiry ON chitieu.api_token (expires_at) WHERE revoked_at IS NULL;
COMMENT ON COLUMN chitieu.api_token.kind IS 'session (from a login) or integration (issued by an operator or officer).';

-- Audit context: how the change came (api, cli, job), the request it belonged to, and the unit
-- it concerns (so a district reads the events of its own subtree).
ALTER TABLE chitieu.audit_event ADD COLUMN via text NOT NULL DEFAULT 'cli' CHECK (via IN ('api', 'cli', 'job'));
ALTER TABLE chitieu.audit_event ADD COLUMN request_id text CHECK (request_id IS NULL OR length(request_id) <= 200);
ALTER TABLE chitieu.audit_event ADD COLUMN unit_id bigint;
CREATE INDEX audit_event_entity ON chitieu.audit_event (province_id, entity_type, entity_id);
GRANT SELECT ON chitieu.audit_event TO chitieu_reporting;

-- Reporting logins. PostgreSQL roles are cluster-wide, so their names are checked here and
-- quoted with format(); the password arrives as a SCRAM verifier computed by the client, so
-- the clear text never reaches the server or its logs.
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

-- Nightly: delete tokens that expired or were revoked more than 30 days ago, and stale login counters.
INSERT INTO chitieu.job_schedule (name, kind, args, every, next_run_at)
VALUES ('tokens.prune', 'tokens.prune', '{"retention_days": 30}', interval '1 day',
        (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + interval '1 day 3 hours 10 minutes') AT TIME ZONE 'Asia/Ho_Chi_Minh');

-- Roles are cluster-wide but province ids are per database: only this database's own logins
-- may connect to it, so a reporting login of another chitieu database on the same cluster
-- (whose province 1 is another province) cannot read this one.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO chitieu_app', current_database());
END
$$;

-- Reporting logins read the audit trail of plans, indicators, accounts and grants, not the
-- comings and goings of tokens, sessions and jobs.
CREATE POLICY reporting_audit_scope ON chitieu.audit_event AS RESTRICTIVE FOR SELECT TO chitieu_reporting
    USING (entity_type NOT IN ('token', 'job'));

-- chitieu on Citus: the roles, on the coordinator, in database chitieu, as a superuser
-- (postgres), after the workers were added and before `chitieu db migrate` (see README.md beside
-- this file):
--
--   psql -v ON_ERROR_STOP=1 -d chitieu -U postgres -f Deploy/citus/roles.sql
--
-- Citus creates on the workers the owner of every object it creates there, and updates a role
-- that exists there already, which only a superuser may do: run by the owner (`CREATE COLLATION`
-- in the baseline), that fails with "must be superuser to alter superuser roles or change
-- superuser attribute". Here a superuser makes Citus create or update every role of chitieu on
-- the workers, and record it as copied: those that exist (a database that served chitieu on one
-- server: the owner, chitieu_app, chitieu_reporting, the reporting groups and logins) and the
-- owner and chitieu_app when missing. Re-runnable.

BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chitieu_owner') THEN
        CREATE ROLE chitieu_owner LOGIN CREATEROLE NOSUPERUSER;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chitieu_app') THEN
        CREATE ROLE chitieu_app LOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

-- The owner's objects are created by the owner: it owns the database.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO chitieu_owner', current_database());
END
$$;

-- A throwaway type given to each role in turn: Citus copies each owner to the workers.
CREATE TYPE public.chitieu_role_copy AS (unused integer);
DO $$
DECLARE
    r text;
BEGIN
    FOR r IN
        -- The groups before the reporting logins that are their members.
        SELECT rolname FROM pg_roles
        WHERE rolname IN ('chitieu_owner', 'chitieu_app', 'chitieu_reporting') OR rolname ~ '^chitieu_p[0-9]+$'
           OR NOT rolsuper AND oid IN (SELECT m.member FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                                       WHERE g.rolname = 'chitieu_reporting')
        ORDER BY rolname !~ '^chitieu_', rolname
    LOOP
        EXECUTE format('ALTER TYPE public.chitieu_role_copy OWNER TO %I', r);
    END LOOP;
END
$$;
DROP TYPE public.chitieu_role_copy;

COMMIT;

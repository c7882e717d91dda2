-- chitieu 0028: reporting logins' policy on the audit log in one permissive policy.
--
-- Citus copies every policy to the shards as a permissive one: on a cluster the restrictive
-- reporting_audit_scope (no token, session or job events) added rows instead of removing them, and
-- a reporting login read the audit events of every province. One policy says both conditions.
DROP POLICY reporting_audit_scope ON chitieu.audit_event;
DROP POLICY reporting_scope ON chitieu.audit_event;
CREATE POLICY reporting_scope ON chitieu.audit_event FOR SELECT TO chitieu_reporting
    USING (pg_has_role('chitieu_p' || province_id, 'MEMBER') AND entity_type NOT IN ('token', 'job'));

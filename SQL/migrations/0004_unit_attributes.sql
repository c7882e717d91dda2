-- chitieu 0004: numeric attributes of units (population, villages, ethnic-minority share…),
-- used to weight allocations; and the rule's choice of attribute.

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

ALTER TABLE chitieu.unit_attribute ENABLE ROW LEVEL SECURITY;
ALTER TABLE chitieu.unit_attribute FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY tenant_scope ON chitieu.unit_attribute TO chitieu_app, %I '
        'USING (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint) '
        'WITH CHECK (province_id = nullif(current_setting(''app.province_id'', true), '''')::bigint)', current_user);
END
$$;
CREATE POLICY reporting_scope ON chitieu.unit_attribute FOR SELECT TO chitieu_reporting
    USING (pg_has_role('chitieu_p' || province_id, 'MEMBER'));
GRANT SELECT, INSERT, UPDATE, DELETE ON chitieu.unit_attribute TO chitieu_app;
GRANT SELECT ON chitieu.unit_attribute TO chitieu_reporting;

ALTER TABLE chitieu.allocation_rule ADD COLUMN weight_attribute text;
COMMENT ON COLUMN chitieu.allocation_rule.weight_attribute IS 'For weighted rules: the unit attribute that weights the children (instead of explicit weights).';

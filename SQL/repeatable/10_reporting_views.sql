-- Reporting views: re-applied whenever this file changes. security_invoker, so each
-- reporting login sees its own province through row-level security on the tables beneath.

CREATE OR REPLACE VIEW reporting.provinces WITH (security_invoker = true) AS
SELECT p.province_id, p.code, p.name, p.valid_from, p.valid_to
FROM chitieu.province p;
COMMENT ON VIEW reporting.provinces IS 'The province(s) this login may read.';
COMMENT ON COLUMN reporting.provinces.province_id IS 'Stable id of the tenant.';
COMMENT ON COLUMN reporting.provinces.code IS 'GSO code, valid within valid_from..valid_to.';
COMMENT ON COLUMN reporting.provinces.name IS 'Official name.';
COMMENT ON COLUMN reporting.provinces.valid_from IS 'First day of validity.';
COMMENT ON COLUMN reporting.provinces.valid_to IS 'Last day of validity; NULL while current.';

CREATE OR REPLACE VIEW reporting.units WITH (security_invoker = true) AS
SELECT u.province_id, u.unit_id, u.level, u.code, u.name, u.type_label,
       u.parent_id, parent.code AS parent_code, parent.name AS parent_name,
       u.valid_from, u.valid_to
FROM chitieu.admin_unit u
LEFT JOIN chitieu.admin_unit parent ON parent.province_id = u.province_id AND parent.unit_id = u.parent_id;
COMMENT ON VIEW reporting.units IS 'Administrative units with their parent, for the province(s) this login may read.';
COMMENT ON COLUMN reporting.units.province_id IS 'Tenant id.';
COMMENT ON COLUMN reporting.units.unit_id IS 'Stable unit id.';
COMMENT ON COLUMN reporting.units.level IS 'province, district, commune or village.';
COMMENT ON COLUMN reporting.units.code IS 'GSO code (with the validity period).';
COMMENT ON COLUMN reporting.units.name IS 'Official name.';
COMMENT ON COLUMN reporting.units.type_label IS 'Tỉnh, Huyện, Xã, Phường…';
COMMENT ON COLUMN reporting.units.parent_id IS 'Unit above.';
COMMENT ON COLUMN reporting.units.parent_code IS 'Code of the unit above.';
COMMENT ON COLUMN reporting.units.parent_name IS 'Name of the unit above.';
COMMENT ON COLUMN reporting.units.valid_from IS 'First day of validity.';
COMMENT ON COLUMN reporting.units.valid_to IS 'Last day of validity; NULL while current.';

GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO chitieu_reporting, chitieu_app;

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

CREATE OR REPLACE VIEW reporting.indicators WITH (security_invoker = true) AS
SELECT i.province_id, i.indicator_id, i.code, i.name, i.name_en, i.measure_unit, i.kind, i.status,
       i.suspended_from, i.suspended_reason
FROM chitieu.indicator i;
COMMENT ON VIEW reporting.indicators IS 'The indicators (chỉ tiêu) of the province(s) this login may read; suspended ones stay listed.';
COMMENT ON COLUMN reporting.indicators.code IS 'Code within the province, e.g. DA8-01.';
COMMENT ON COLUMN reporting.indicators.kind IS 'flow (counted per period) or stock (a level at the end of a period).';
COMMENT ON COLUMN reporting.indicators.status IS 'active or suspended (stopped by central direction, kept on record).';

CREATE OR REPLACE VIEW reporting.targets WITH (security_invoker = true) AS
SELECT t.province_id, i.code AS indicator_code, i.name AS indicator_name, p.code AS phase, u.unit_id, u.level AS unit_level,
       u.code AS unit_code, u.name AS unit_name, t.year, t.value, t.origin, t.locked, t.set_at
FROM chitieu.target t
JOIN chitieu.indicator i ON i.province_id = t.province_id AND i.indicator_id = t.indicator_id
JOIN chitieu.phase p ON p.province_id = t.province_id AND p.phase_id = t.phase_id
JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id;
COMMENT ON VIEW reporting.targets IS 'Targets per indicator, phase, unit and year (year NULL: the whole phase).';
COMMENT ON COLUMN reporting.targets.origin IS 'assigned (the province''s phase target), allocated (computed) or overridden (set by hand).';

CREATE OR REPLACE VIEW reporting.audit_events WITH (security_invoker = true) AS
SELECT e.province_id, e.event_id, e.at, e.actor_label AS actor, e.via, e.request_id, e.action, e.entity_type, e.entity_id,
       e.unit_id, e.before, e.after
FROM chitieu.audit_event e;
COMMENT ON VIEW reporting.audit_events IS 'Who changed what and when: accounts, grants, tokens (never secrets), indicators, targets, rules, results.';
COMMENT ON COLUMN reporting.audit_events.via IS 'api, cli (an admin command) or job.';

GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO chitieu_reporting, chitieu_app;

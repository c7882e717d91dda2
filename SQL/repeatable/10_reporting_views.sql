-- Reporting views: re-applied, with the other re-runnable files, whenever one of them changes.
-- security_invoker, so each reporting login sees its own province through row-level security on
-- the tables beneath.

-- The Vietnamese label of a completion status, as the views show it beside the status.
CREATE OR REPLACE FUNCTION reporting.status_label(p_status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_status WHEN 'completed' THEN 'Hoàn thành' WHEN 'on_track' THEN 'Đúng tiến độ' WHEN 'behind' THEN 'Chậm tiến độ'
                         WHEN 'no_target' THEN 'Chưa giao chỉ tiêu' ELSE 'Tạm dừng' END
$$;
COMMENT ON FUNCTION reporting.status_label(text) IS 'Vietnamese label of a completion status (completed: Hoàn thành, on_track: Đúng tiến độ…).';
REVOKE ALL ON FUNCTION reporting.status_label(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reporting.status_label(text) TO chitieu_app, chitieu_reporting;

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

-- The views below are a contract with reporting tools: later versions add columns at the end,
-- never drop or rename one. Column names are English; Vietnamese labels sit beside codes.

-- The path from the province down is joined level by level (a tree is at most six deep), not
-- found by a recursive query: a reporting login reads every province it may, and on Citus a
-- recursive query must be filtered on one province.
CREATE OR REPLACE VIEW reporting.unit WITH (security_invoker = true) AS
SELECT u.province_id, u.unit_id, u.code, u.name, u.level, u.type_label,
       CASE u.level WHEN 'province' THEN 'Tỉnh' WHEN 'district' THEN 'Huyện' WHEN 'commune' THEN 'Xã' ELSE 'Thôn' END AS level_label,
       u.parent_id, parent.code AS parent_code, parent.name AS parent_name,
       concat_ws(' / ', a5.name, a4.name, a3.name, a2.name, parent.name, u.name) AS path,
       concat_ws('/', a5.code, a4.code, a3.code, a2.code, parent.code, u.code) AS path_codes,
       u.valid_from, u.valid_to
FROM chitieu.admin_unit u
LEFT JOIN chitieu.admin_unit parent ON parent.province_id = u.province_id AND parent.unit_id = u.parent_id
LEFT JOIN chitieu.admin_unit a2 ON a2.province_id = parent.province_id AND a2.unit_id = parent.parent_id
LEFT JOIN chitieu.admin_unit a3 ON a3.province_id = a2.province_id AND a3.unit_id = a2.parent_id
LEFT JOIN chitieu.admin_unit a4 ON a4.province_id = a3.province_id AND a4.unit_id = a3.parent_id
LEFT JOIN chitieu.admin_unit a5 ON a5.province_id = a4.province_id AND a5.unit_id = a4.parent_id
WHERE u.parent_id IS NULL OR parent.parent_id IS NULL OR a2.parent_id IS NULL OR a3.parent_id IS NULL OR a4.parent_id IS NULL
   OR a5.parent_id IS NULL;
COMMENT ON VIEW reporting.unit IS 'Administrative units with their parent and path from the province, for the province(s) this login may read.';
COMMENT ON COLUMN reporting.unit.level IS 'province, district, commune or village.';
COMMENT ON COLUMN reporting.unit.level_label IS 'Cấp hành chính (Tỉnh, Huyện, Xã, Thôn).';
COMMENT ON COLUMN reporting.unit.path IS 'Names from the province down, separated by " / ".';
COMMENT ON COLUMN reporting.unit.path_codes IS 'GSO codes from the province down, separated by "/".';
COMMENT ON COLUMN reporting.unit.valid_to IS 'Last day of validity; NULL while current.';

CREATE OR REPLACE VIEW reporting.indicator WITH (security_invoker = true) AS
SELECT i.province_id, i.indicator_id, i.code, i.name, i.name_en, i.measure_unit, i.kind,
       CASE i.kind WHEN 'flow' THEN 'Số phát sinh trong kỳ' ELSE 'Số hiện có cuối kỳ' END AS kind_label,
       i.reporting_levels, i.companion_measure, i.status,
       CASE i.status WHEN 'active' THEN 'Đang thực hiện' ELSE 'Tạm dừng' END AS status_label,
       i.suspended_from, i.suspended_reason, i.disaggregation, i.companion_disaggregation
FROM chitieu.indicator i;
COMMENT ON VIEW reporting.indicator IS 'The indicators (chỉ tiêu) of the province(s) this login may read; suspended ones stay listed.';
COMMENT ON COLUMN reporting.indicator.code IS 'Code within the province, e.g. DA8-01.';
COMMENT ON COLUMN reporting.indicator.kind IS 'flow (counted per period, summed) or stock (a level at the end of a period).';
COMMENT ON COLUMN reporting.indicator.status IS 'active or suspended (stopped by central direction, kept on record).';
COMMENT ON COLUMN reporting.indicator.companion_measure IS 'What the companion figure counts (thành viên, học viên…), if any.';
COMMENT ON COLUMN reporting.indicator.disaggregation IS 'Breakdown of the count: dimension → categories, e.g. {"ethnicity": ["DTTS", "Kinh"]}.';
COMMENT ON COLUMN reporting.indicator.companion_disaggregation IS 'Breakdown of the companion figure, e.g. {"sex": ["nữ", "nam"]} members of the clubs by sex.';

-- Each family of views (targets, completion, completion on today's units) is one base view in
-- chitieu (not a contract: its columns may change), yearly rows with the year set and phase rows
-- without, and a thin filter of it per kind of row. The bases are security_invoker too.
CREATE OR REPLACE VIEW chitieu.target_report WITH (security_invoker = true) AS
SELECT t.province_id, t.indicator_id, i.code AS indicator_code, i.name AS indicator_name, p.code AS phase,
       t.unit_id, u.level AS unit_level, u.code AS unit_code, u.name AS unit_name, t.year, t.value AS target, t.origin, t.locked, t.set_at,
       p.plan_number, p.plan_date, p.plan_issuer, p.plan_title,
       'Kế hoạch số ' || p.plan_number || ' ngày ' || to_char(p.plan_date, 'DD/MM/YYYY') || ' của ' || p.plan_issuer AS plan_citation
FROM chitieu.target t
JOIN chitieu.indicator i ON i.province_id = t.province_id AND i.indicator_id = t.indicator_id
JOIN chitieu.phase p ON p.province_id = t.province_id AND p.phase_id = t.phase_id
JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id;
COMMENT ON VIEW chitieu.target_report IS 'Targets with their indicator, phase (and its plan) and unit: the base of reporting.target_yearly and target_phase.';

CREATE OR REPLACE VIEW reporting.target_yearly WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, phase,
       unit_id, unit_level, unit_code, unit_name, year, target, origin, locked, set_at
FROM chitieu.target_report
WHERE year IS NOT NULL;
COMMENT ON VIEW reporting.target_yearly IS 'Yearly targets per indicator and unit (flow: the year''s count; stock: the level due at the end of the year).';
COMMENT ON COLUMN reporting.target_yearly.origin IS 'assigned (set by the province), allocated (computed) or overridden (set by hand).';

CREATE OR REPLACE VIEW reporting.target_phase WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, phase,
       unit_id, unit_level, unit_code, unit_name, target, origin, locked, set_at,
       plan_number, plan_date, plan_issuer, plan_title, plan_citation
FROM chitieu.target_report
WHERE year IS NULL;
COMMENT ON VIEW reporting.target_phase IS 'Phase targets per indicator and unit (e.g. 424 teams for Lào Cai, 2021-2025).';
COMMENT ON COLUMN reporting.target_phase.plan_number IS 'Number of the plan that set the phase targets, e.g. 355/KH-UBND (NULL until recorded).';
COMMENT ON COLUMN reporting.target_phase.plan_date IS 'Date the plan was issued.';
COMMENT ON COLUMN reporting.target_phase.plan_issuer IS 'Who issued the plan, e.g. UBND tỉnh Lào Cai.';
COMMENT ON COLUMN reporting.target_phase.plan_title IS 'Title of the plan, if recorded.';
COMMENT ON COLUMN reporting.target_phase.plan_citation IS 'The plan as officers cite it: Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai.';

CREATE OR REPLACE VIEW reporting.result WITH (security_invoker = true) AS
SELECT r.province_id, r.result_id, r.indicator_id, i.code AS indicator_code, r.unit_id, u.code AS unit_code, u.name AS unit_name,
       u.level AS unit_level, r.period_start, r.period_end, r.year, r.value, r.breakdown, r.companion_value, r.evidence_note,
       r.state,
       CASE r.state WHEN 'draft' THEN 'Nháp' WHEN 'submitted' THEN 'Đã gửi' WHEN 'approved' THEN 'Đã duyệt' ELSE 'Trả lại' END AS state_label,
       r.return_reason, r.created_at, r.submitted_at, r.decided_at, r.companion_breakdown
FROM chitieu.result r
JOIN chitieu.indicator i ON i.province_id = r.province_id AND i.indicator_id = r.indicator_id
JOIN chitieu.admin_unit u ON u.province_id = r.province_id AND u.unit_id = r.unit_id;
COMMENT ON VIEW reporting.result IS 'Results as units reported them, in every state; only approved ones count in completion.';
COMMENT ON COLUMN reporting.result.year IS 'The year the result counts in.';
COMMENT ON COLUMN reporting.result.breakdown IS 'Breakdown by the indicator''s disaggregation, e.g. {"sex": {"nữ": 30, "nam": 12}}.';
COMMENT ON COLUMN reporting.result.state IS 'draft, submitted, approved or returned.';
COMMENT ON COLUMN reporting.result.companion_breakdown IS 'Breakdown of the companion figure by the indicator''s companion disaggregation, e.g. {"sex": {"nữ": 14, "nam": 9}}.';

CREATE OR REPLACE VIEW chitieu.progress_report WITH (security_invoker = true) AS
SELECT p.province_id, p.indicator_id, p.indicator_code, p.indicator_name, p.measure_unit, p.phase_code AS phase,
       p.year, p.unit_id, p.unit_level, p.unit_code, p.unit_name, p.parent_id,
       p.target, p.achieved, p.rate, p.achieved_with_submitted, p.companion_measure, p.companion, p.rate_with_submitted::numeric AS rate_with_submitted,
       p.status, reporting.status_label(p.status) AS status_label, p.computed_at
FROM chitieu.progress p;
COMMENT ON VIEW chitieu.progress_report IS 'Completion figures with their status label: the base of reporting.progress_yearly and progress_phase.';

CREATE OR REPLACE VIEW reporting.progress_yearly WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, measure_unit, phase, year, unit_id, unit_level, unit_code, unit_name, parent_id,
       target, achieved, rate, achieved_with_submitted, companion_measure, companion, rate_with_submitted, status, status_label, computed_at
FROM chitieu.progress_report
WHERE year IS NOT NULL;
COMMENT ON VIEW reporting.progress_yearly IS 'Completion per indicator, unit and year: target, achieved (approved results), rate and status; beside them the same including submitted results.';
COMMENT ON COLUMN reporting.progress_yearly.achieved IS 'Flow: approved results of the year over the unit''s subtree; stock: the sum of each reporting unit''s latest approved level in the year.';
COMMENT ON COLUMN reporting.progress_yearly.rate IS 'achieved / target; NULL without a target.';
COMMENT ON COLUMN reporting.progress_yearly.status IS 'completed, on_track (at or above the share of the period elapsed), behind, no_target or suspended.';
COMMENT ON COLUMN reporting.progress_yearly.computed_at IS 'When the figure was last computed with a change.';
COMMENT ON COLUMN reporting.progress_yearly.companion IS 'The companion figure of the approved results (e.g. members of the teams), counted like achieved.';

CREATE OR REPLACE VIEW reporting.progress_phase WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, measure_unit, phase, unit_id, unit_level, unit_code, unit_name, parent_id,
       target, achieved, rate, achieved_with_submitted, companion_measure, companion, rate_with_submitted, status, status_label, computed_at
FROM chitieu.progress_report
WHERE year IS NULL;
COMMENT ON VIEW reporting.progress_phase IS 'Completion per indicator and unit over the whole phase.';

CREATE OR REPLACE VIEW reporting.unit_summary WITH (security_invoker = true) AS
SELECT u.province_id, u.unit_id, u.level AS unit_level, u.code AS unit_code, u.name AS unit_name, ph.code AS phase,
       count(p.*) AS indicators,
       count(*) FILTER (WHERE p.status = 'completed') AS completed,
       count(*) FILTER (WHERE p.status = 'suspended') AS suspended,
       count(*) FILTER (WHERE p.status = 'on_track') AS on_track,
       count(*) FILTER (WHERE p.status = 'behind') AS behind,
       format('%s/%s chỉ tiêu đạt 100%%', count(*) FILTER (WHERE p.status = 'completed'), count(p.*)) AS summary_label,
       max(p.computed_at) AS computed_at
FROM chitieu.admin_unit u
JOIN chitieu.phase ph ON ph.province_id = u.province_id
     AND u.valid_from <= make_date(ph.last_year, 12, 31) AND (u.valid_to IS NULL OR u.valid_to >= make_date(ph.first_year, 1, 1))
LEFT JOIN chitieu.progress p ON p.province_id = u.province_id AND p.phase_id = ph.phase_id AND p.year IS NULL AND p.unit_id = u.unit_id
GROUP BY u.province_id, u.unit_id, u.level, u.code, u.name, ph.code;
COMMENT ON VIEW reporting.unit_summary IS 'Per unit and phase (the phases the unit existed in): its own indicators completed / total / suspended, over its subtree — what province_summary says of the province, for a district or a commune.';
COMMENT ON COLUMN reporting.unit_summary.summary_label IS 'e.g. "2/10 chỉ tiêu đạt 100%".';

CREATE OR REPLACE VIEW reporting.province_summary WITH (security_invoker = true) AS
SELECT s.province_id, s.phase, s.indicators, s.completed, s.suspended, s.on_track, s.behind, s.summary_label, s.computed_at
-- The province's own unit of the phase: the last one valid in it (a province that ended during the
-- phase keeps its own; a merged province's is today's, not its predecessors').
FROM (SELECT DISTINCT ON (ph.province_id, ph.phase_id) ph.province_id, ph.code, u.unit_id
      FROM chitieu.phase ph
      JOIN chitieu.admin_unit u ON u.province_id = ph.province_id AND u.level = 'province'
           AND u.valid_from <= make_date(ph.last_year, 12, 31) AND (u.valid_to IS NULL OR u.valid_to >= make_date(ph.first_year, 1, 1))
      ORDER BY ph.province_id, ph.phase_id, u.valid_to DESC NULLS FIRST, u.valid_from DESC, u.unit_id) ph
JOIN reporting.unit_summary s ON s.province_id = ph.province_id AND s.unit_id = ph.unit_id AND s.phase = ph.code;
COMMENT ON VIEW reporting.province_summary IS 'Per province and phase: indicators completed / total / suspended — "4 of 10 at 100%".';
COMMENT ON COLUMN reporting.province_summary.summary_label IS 'e.g. "4/10 chỉ tiêu đạt 100%".';

CREATE OR REPLACE VIEW reporting.audit WITH (security_invoker = true) AS
SELECT e.province_id, e.event_id, e.at, e.actor_label AS actor, e.via, e.request_id, e.action, e.entity_type, e.entity_id,
       e.unit_id, e.before, e.after
FROM chitieu.audit_event e;
COMMENT ON VIEW reporting.audit IS 'Who changed what and when: accounts, grants, indicators, targets, rules, results (token and job events are not shown).';
COMMENT ON COLUMN reporting.audit.via IS 'api, cli (an admin command) or job.';

-- The 2025 reform: completion on today's units, the succession links, the merged provinces.
CREATE OR REPLACE VIEW chitieu.progress_on_units_report WITH (security_invoker = true) AS
SELECT p.province_id, p.indicator_id, p.indicator_code, p.indicator_name, p.measure_unit, p.phase_code AS phase,
       p.year, p.as_of, p.unit_id, p.unit_level, p.unit_code, p.unit_name, p.parent_id,
       p.target, p.achieved, p.rate, p.achieved_with_submitted, p.companion_measure, p.companion, p.rate_with_submitted,
       p.status, reporting.status_label(p.status) AS status_label, p.computed_at
FROM chitieu.progress_on_units p;
COMMENT ON VIEW chitieu.progress_on_units_report IS 'Completion figures on today''s units with their status label: the base of reporting.progress_yearly_on_units and progress_phase_on_units.';

CREATE OR REPLACE VIEW reporting.progress_yearly_on_units WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, measure_unit, phase, year, as_of, unit_id, unit_level, unit_code, unit_name, parent_id,
       target, achieved, rate, achieved_with_submitted, companion_measure, companion, rate_with_submitted, status, status_label, computed_at
FROM chitieu.progress_on_units_report
WHERE year IS NOT NULL;
COMMENT ON VIEW reporting.progress_yearly_on_units IS 'Completion per indicator, year and unit valid on as_of (today''s units): targets and results of units that ended are carried to their successors (whole links whole, splits by weight, rounded exactly). Only phases in which some unit ended.';

CREATE OR REPLACE VIEW reporting.progress_phase_on_units WITH (security_invoker = true) AS
SELECT province_id, indicator_id, indicator_code, indicator_name, measure_unit, phase, as_of, unit_id, unit_level, unit_code, unit_name, parent_id,
       target, achieved, rate, achieved_with_submitted, companion_measure, companion, rate_with_submitted, status, status_label, computed_at
FROM chitieu.progress_on_units_report
WHERE year IS NULL;
COMMENT ON VIEW reporting.progress_phase_on_units IS 'Completion per indicator over the whole phase, on today''s units (see progress_yearly_on_units); progress_phase shows it on the units as they were.';

CREATE OR REPLACE VIEW reporting.unit_succession WITH (security_invoker = true) AS
SELECT s.province_id, s.effective_date, s.kind, s.weight, s.weight_set_by IS NOT NULL AS weight_set_by_hand,
       o.unit_id AS old_unit_id, o.level AS old_level, o.code AS old_code, o.name AS old_name, o.valid_to AS old_valid_to,
       n.unit_id AS new_unit_id, n.level AS new_level, n.code AS new_code, n.name AS new_name, n.valid_from AS new_valid_from
FROM chitieu.unit_succession s
JOIN chitieu.admin_unit o ON o.province_id = s.province_id AND o.unit_id = s.from_unit_id
JOIN chitieu.admin_unit n ON n.province_id = s.province_id AND n.unit_id = s.to_unit_id;
COMMENT ON VIEW reporting.unit_succession IS 'Which unit took over which on a day: whole, or a part of a split with its weight (equal parts unless set by hand).';

CREATE OR REPLACE VIEW reporting.province_lineage WITH (security_invoker = true) AS
SELECT l.province_id, l.predecessor_id, l.predecessor_code, l.predecessor_name, l.merged_on, l.merged_at, l.carried
FROM chitieu.province_lineage l;
COMMENT ON VIEW reporting.province_lineage IS 'Provinces merged into this one, when, and the rows carried over.';

-- Reporting completeness (DHIS2's reporting rate): which units have reported each indicator in a
-- period. One row per unit valid in some part of the period, indicator its level reports (not
-- suspended before the period ended) and period of a phase's year: the year, its halves, quarters
-- and months. A result counts in a period when its own period lies within it; the cell's state is
-- the most advanced of its results (approved, submitted, returned, draft), else none.
CREATE OR REPLACE VIEW chitieu.completeness_report WITH (security_invoker = true) AS
SELECT c.province_id, c.phase, c.year, c.period, c.period_kind, c.period_start, c.period_end,
       c.unit_id, c.unit_level, c.unit_code, c.unit_name, c.parent_id, c.indicator_id, c.indicator_code, c.indicator_name,
       CASE c.state_rank WHEN 4 THEN 'approved' WHEN 3 THEN 'submitted' WHEN 2 THEN 'returned' WHEN 1 THEN 'draft' ELSE 'none' END AS state,
       CASE c.state_rank WHEN 4 THEN 'Đã duyệt' WHEN 3 THEN 'Đã gửi' WHEN 2 THEN 'Bị trả lại' WHEN 1 THEN 'Nháp' ELSE 'Chưa báo cáo' END AS state_label,
       c.results, c.last_change, greatest(c.closes_on, c.reopened_until) AS closes_on,
       greatest(c.closes_on, c.reopened_until) - (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS days_left
FROM (
    SELECT u.province_id, ph.code AS phase, y.year::smallint AS year,
           CASE k.kind WHEN 'year' THEN y.year::text WHEN 'half' THEN y.year || '-H' || k.number
                       WHEN 'quarter' THEN y.year || '-Q' || k.number ELSE y.year || '-' || lpad(k.number::text, 2, '0') END AS period,
           k.kind AS period_kind, make_date(y.year, k.first_month, 1) AS period_start,
           (make_date(y.year, k.last_month, 1) + interval '1 month - 1 day')::date AS period_end,
           u.unit_id, u.level AS unit_level, u.code AS unit_code, u.name AS unit_name, u.parent_id,
           i.indicator_id, i.code AS indicator_code, i.name AS indicator_name,
           coalesce(max(CASE r.state WHEN 'approved' THEN 4 WHEN 'submitted' THEN 3 WHEN 'returned' THEN 2 WHEN 'draft' THEN 1 END), 0) AS state_rank,
           count(DISTINCT r.result_id) AS results, max(r.updated_at) AS last_change,
           coalesce(d.closes_on, make_date(y.year + 1, 1, 25)) AS closes_on,
           max(x.until) AS reopened_until
    FROM chitieu.phase ph
    CROSS JOIN generate_series(ph.first_year::int, ph.last_year::int) AS y (year)
    CROSS JOIN (VALUES ('year', 0, 1, 12), ('half', 1, 1, 6), ('half', 2, 7, 12),
                       ('quarter', 1, 1, 3), ('quarter', 2, 4, 6), ('quarter', 3, 7, 9), ('quarter', 4, 10, 12),
                       ('month', 1, 1, 1), ('month', 2, 2, 2), ('month', 3, 3, 3), ('month', 4, 4, 4), ('month', 5, 5, 5), ('month', 6, 6, 6),
                       ('month', 7, 7, 7), ('month', 8, 8, 8), ('month', 9, 9, 9), ('month', 10, 10, 10), ('month', 11, 11, 11),
                       ('month', 12, 12, 12)) AS k (kind, number, first_month, last_month)
    JOIN chitieu.admin_unit u ON u.province_id = ph.province_id
         AND u.valid_from <= (make_date(y.year, k.last_month, 1) + interval '1 month - 1 day')::date
         AND (u.valid_to IS NULL OR u.valid_to >= make_date(y.year, k.first_month, 1))
    JOIN chitieu.indicator i ON i.province_id = u.province_id AND u.level = ANY (i.reporting_levels)
         AND (i.status = 'active' OR i.suspended_from > (make_date(y.year, k.last_month, 1) + interval '1 month - 1 day')::date)
    LEFT JOIN chitieu.admin_unit pu ON pu.province_id = u.province_id AND pu.unit_id = u.parent_id
    LEFT JOIN chitieu.admin_unit gu ON gu.province_id = pu.province_id AND gu.unit_id = pu.parent_id
    LEFT JOIN chitieu.reporting_deadline d ON d.province_id = u.province_id AND d.year = y.year
    -- Reporting reopened for the unit or a unit above it (joined, not a correlated subquery, which
    -- Citus refuses in a grouped query: "subquery uses ungrouped column"; results are counted
    -- distinct, as a result meets each reopening).
    LEFT JOIN chitieu.deadline_exception x ON x.province_id = u.province_id AND x.year = y.year
         AND x.unit_id IN (u.unit_id, u.parent_id, pu.parent_id, gu.parent_id)
    LEFT JOIN chitieu.result r ON r.province_id = u.province_id AND r.unit_id = u.unit_id AND r.indicator_id = i.indicator_id
         AND r.year = y.year AND r.period_start >= make_date(y.year, k.first_month, 1)
         AND r.period_end <= (make_date(y.year, k.last_month, 1) + interval '1 month - 1 day')::date
    GROUP BY u.province_id, ph.province_id, ph.phase_id, y.year, k.kind, k.number, k.first_month, k.last_month, u.unit_id, i.province_id, i.indicator_id,
             pu.province_id, pu.unit_id, gu.province_id, gu.unit_id, d.province_id, d.year
) c;
COMMENT ON VIEW chitieu.completeness_report IS 'Reporting state per unit, indicator and period (year, half, quarter, month): the base of reporting.completeness and its summaries.';

CREATE OR REPLACE VIEW reporting.completeness WITH (security_invoker = true) AS
SELECT province_id, phase, year, period, period_kind, period_start, period_end, unit_id, unit_level, unit_code, unit_name, parent_id,
       indicator_id, indicator_code, indicator_name, state, state_label, results, last_change, closes_on, days_left
FROM chitieu.completeness_report;
COMMENT ON VIEW reporting.completeness IS 'Which units have reported each indicator in a period: one row per unit valid in the period and indicator its level reports (suspended ones left out), with the most advanced state of its results.';
COMMENT ON COLUMN reporting.completeness.period IS 'The period: 2025 (the year), 2025-H1, 2025-Q3 or 2025-07.';
COMMENT ON COLUMN reporting.completeness.period_kind IS 'year, half, quarter or month.';
COMMENT ON COLUMN reporting.completeness.state IS 'none, draft, returned, submitted or approved: the most advanced state of the unit''s results of the indicator whose period lies within this one.';
COMMENT ON COLUMN reporting.completeness.state_label IS 'Chưa báo cáo, Nháp, Bị trả lại, Đã gửi, Đã duyệt.';
COMMENT ON COLUMN reporting.completeness.results IS 'How many results of the unit and indicator lie within the period, in any state.';
COMMENT ON COLUMN reporting.completeness.last_change IS 'When one of those results last changed.';
COMMENT ON COLUMN reporting.completeness.closes_on IS 'Last day the year''s results may be entered or submitted by this unit (the province''s deadline, or later where reporting was reopened for the unit or a unit above it).';
COMMENT ON COLUMN reporting.completeness.days_left IS 'Days from today (in Vietnam) to closes_on; negative once closed.';

CREATE OR REPLACE VIEW reporting.completeness_unit WITH (security_invoker = true) AS
SELECT province_id, phase, year, period, period_kind, period_start, period_end, unit_id, unit_level, unit_code, unit_name, parent_id,
       count(*) AS indicators,
       count(*) FILTER (WHERE state = 'approved') AS approved,
       count(*) FILTER (WHERE state = 'submitted') AS submitted,
       count(*) FILTER (WHERE state = 'returned') AS returned,
       count(*) FILTER (WHERE state = 'draft') AS draft,
       count(*) FILTER (WHERE state = 'none') AS nothing,
       round(100.0 * count(*) FILTER (WHERE state IN ('approved', 'submitted')) / count(*), 1) AS reported_percent,
       max(closes_on) AS closes_on, max(days_left) AS days_left
FROM chitieu.completeness_report
GROUP BY province_id, phase, year, period, period_kind, period_start, period_end, unit_id, unit_level, unit_code, unit_name, parent_id;
COMMENT ON VIEW reporting.completeness_unit IS 'Per unit and period: how many of the indicators it reports are approved, submitted, returned, in draft or not reported at all.';
COMMENT ON COLUMN reporting.completeness_unit.indicators IS 'Indicators the unit''s level reports in the period (suspended ones left out).';
COMMENT ON COLUMN reporting.completeness_unit.nothing IS 'Indicators with no result at all in the period.';
COMMENT ON COLUMN reporting.completeness_unit.reported_percent IS 'Submitted or approved, in percent of indicators (one decimal).';

CREATE OR REPLACE VIEW reporting.completeness_level WITH (security_invoker = true) AS
SELECT province_id, phase, year, period, period_kind, period_start, period_end, unit_level,
       CASE unit_level WHEN 'province' THEN 'Tỉnh' WHEN 'district' THEN 'Huyện' WHEN 'commune' THEN 'Xã' ELSE 'Thôn' END AS level_label,
       count(*) AS units,
       count(*) FILTER (WHERE approved + submitted = 0) AS units_without_reports,
       sum(indicators) AS indicators, sum(approved) AS approved, sum(submitted) AS submitted, sum(returned) AS returned,
       sum(draft) AS draft, sum(nothing) AS nothing,
       round(100.0 * sum(approved + submitted) / sum(indicators), 1) AS reported_percent,
       min(closes_on) AS closes_on, min(days_left) AS days_left
FROM reporting.completeness_unit
GROUP BY province_id, phase, year, period, period_kind, period_start, period_end, unit_level;
COMMENT ON VIEW reporting.completeness_level IS 'Per administrative level and period: units expected to report, those that have sent nothing, and the states of their indicators.';
COMMENT ON COLUMN reporting.completeness_level.units_without_reports IS 'Units with no submitted or approved result of any indicator in the period.';
COMMENT ON COLUMN reporting.completeness_level.closes_on IS 'The earliest deadline of the level''s units (the province''s, unless reopened for all of them).';

GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO chitieu_reporting, chitieu_app;
GRANT SELECT ON chitieu.target_report, chitieu.progress_report, chitieu.progress_on_units_report, chitieu.completeness_report TO chitieu_reporting, chitieu_app;

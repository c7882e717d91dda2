-- A breakdown of the companion figure. Clubs and courses are not women or men; their members and
-- participants are. An indicator may declare a disaggregation of its companion measure (members
-- by sex, participants by sex and ethnicity), and a result then carries a breakdown of its
-- companion figure, checked like the breakdown of the count: every category of a dimension
-- given, adding up to the companion figure.
--
-- The Project 8 catalogue put the sex breakdown on the count of clubs (DA8-02) and of courses
-- (DA8-03, DA8-04). Where a province still has them as the catalogue shipped them (the same code,
-- the breakdown sex = nữ|nam on the count, a companion measure), the breakdown moves to the
-- companion measure, as the catalogue now has it (members by sex; participants by sex and
-- ethnicity), and the count has none. Their results:
-- - a breakdown whose categories add up to the result's companion figure was a breakdown of the
--   members or participants already: it becomes the companion breakdown;
-- - any other breakdown (clubs or courses counted as women or men) means nothing once the count
--   has no breakdown: it is dropped.
-- The indicator's and each result's previous figures stay in the audit log (one event per
-- indicator, one per result changed).

ALTER TABLE chitieu.indicator ADD COLUMN companion_disaggregation jsonb
    CHECK (companion_disaggregation IS NULL OR jsonb_typeof(companion_disaggregation) = 'object');
COMMENT ON COLUMN chitieu.indicator.companion_disaggregation IS
    'Breakdown of the companion figure: dimension → categories, e.g. {"sex": ["nữ", "nam"]} members by sex.';
ALTER TABLE chitieu.result ADD COLUMN companion_breakdown jsonb
    CHECK (companion_breakdown IS NULL OR jsonb_typeof(companion_breakdown) = 'object');
COMMENT ON COLUMN chitieu.result.companion_breakdown IS
    'Breakdown of the companion figure by the indicator''s companion disaggregation, e.g. {"sex": {"nữ": 14, "nam": 9}}.';

-- Province by province under row-level security, one statement each.
DO $$
DECLARE
    p bigint;
BEGIN
    FOR p IN SELECT province_id FROM chitieu.province ORDER BY province_id LOOP
        PERFORM chitieu.use_province(p);
        WITH moved AS (
            SELECT i.indicator_id, i.code, i.disaggregation,
                   CASE i.code WHEN 'DA8-02' THEN '{"sex": ["nữ", "nam"]}'::jsonb
                               ELSE '{"sex": ["nữ", "nam"], "ethnicity": ["DTTS", "Kinh"]}'::jsonb END AS companion_disaggregation
            FROM chitieu.indicator i
            WHERE i.province_id = p AND i.code IN ('DA8-02', 'DA8-03', 'DA8-04')
              AND i.disaggregation = '{"sex": ["nữ", "nam"]}'::jsonb AND i.companion_measure IS NOT NULL
        ),
        changed AS (
            UPDATE chitieu.indicator i
            SET companion_disaggregation = m.companion_disaggregation, disaggregation = NULL, updated_at = now()
            FROM moved m
            WHERE i.province_id = p AND i.indicator_id = m.indicator_id
            RETURNING i.indicator_id
        ),
        -- A result's sex breakdown that adds up to its companion figure counts members or participants.
        results AS (
            SELECT r.result_id, r.breakdown,
                   CASE WHEN r.companion_value IS NOT NULL
                         AND (SELECT count(*) FROM jsonb_each(r.breakdown->'sex')) = 2
                         AND (SELECT sum(CASE WHEN jsonb_typeof(c.value) = 'number' THEN c.value::text::numeric END)
                              FROM jsonb_each(r.breakdown->'sex') c WHERE c.key IN ('nữ', 'nam')) = r.companion_value
                        THEN jsonb_build_object('sex', r.breakdown->'sex') END AS companion_breakdown
            FROM chitieu.result r JOIN moved m ON m.indicator_id = r.indicator_id
            WHERE r.province_id = p AND r.breakdown IS NOT NULL
        ),
        moved_results AS (
            UPDATE chitieu.result r SET companion_breakdown = x.companion_breakdown, breakdown = NULL, updated_at = now()
            FROM results x
            WHERE r.province_id = p AND r.result_id = x.result_id
            RETURNING r.result_id
        )
        INSERT INTO chitieu.audit_event (province_id, actor_label, action, entity_type, entity_id, before, after)
        SELECT p, 'migration 0018', 'indicator.update', 'indicator', m.code,
               jsonb_build_object('disaggregation', m.disaggregation, 'companion_disaggregation', NULL),
               jsonb_build_object('disaggregation', NULL, 'companion_disaggregation', m.companion_disaggregation)
        FROM moved m JOIN changed c ON c.indicator_id = m.indicator_id
      UNION ALL
        SELECT p, 'migration 0018', 'result.update', 'result', x.result_id::text,
               jsonb_build_object('breakdown', x.breakdown),
               jsonb_build_object('breakdown', NULL, 'companion_breakdown', x.companion_breakdown)
        FROM results x JOIN moved_results c ON c.result_id = x.result_id;
    END LOOP;
    PERFORM set_config('app.province_id', '', true);
END
$$;

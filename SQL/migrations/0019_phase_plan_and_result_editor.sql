-- chitieu 0019: the plan that set a phase's targets, and who last changed a result's figures.
--
-- A province's phase targets are set by a document of the province, e.g. Lào Cai's "Kế hoạch
-- số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh": its number, date and issuer (and optionally
-- its title) are kept on the phase, all three or none.
--
-- Four eyes on results: whoever created, last changed the figures of, or submitted a result
-- does not approve it. last_edited_by records the account that last changed the value,
-- breakdown, companion figure or evidence note; existing results take the author of their
-- last recorded change from the audit log, or their creator.
ALTER TABLE chitieu.phase
    ADD COLUMN plan_number text CHECK (plan_number IS NULL OR (length(plan_number) BETWEEN 1 AND 100 AND plan_number IS NORMALIZED)),
    ADD COLUMN plan_date date,
    ADD COLUMN plan_issuer text CHECK (plan_issuer IS NULL OR (length(plan_issuer) BETWEEN 1 AND 200 AND plan_issuer IS NORMALIZED)),
    ADD COLUMN plan_title text CHECK (plan_title IS NULL OR (length(plan_title) BETWEEN 1 AND 500 AND plan_title IS NORMALIZED)),
    ADD CONSTRAINT phase_plan_complete CHECK (
        (plan_number IS NULL) = (plan_date IS NULL) AND (plan_number IS NULL) = (plan_issuer IS NULL)
        AND (plan_title IS NULL OR plan_number IS NOT NULL));
COMMENT ON COLUMN chitieu.phase.plan_number IS 'Number of the plan that set the phase targets, e.g. 355/KH-UBND.';
COMMENT ON COLUMN chitieu.phase.plan_date IS 'Date the plan was issued, e.g. 2022-10-24.';
COMMENT ON COLUMN chitieu.phase.plan_issuer IS 'Who issued the plan, e.g. UBND tỉnh Lào Cai.';
COMMENT ON COLUMN chitieu.phase.plan_title IS 'Title of the plan (optional).';

ALTER TABLE chitieu.result ADD COLUMN last_edited_by uuid;
COMMENT ON COLUMN chitieu.result.last_edited_by IS 'The account that last changed the figures (value, breakdown, companion, note); it does not approve the result.';
-- Row-level security binds the owner too: one province at a time.
DO $$
DECLARE
    p bigint;
BEGIN
    FOR p IN SELECT province_id FROM chitieu.province LOOP
        PERFORM chitieu.use_province(p);
        UPDATE chitieu.result r
        SET last_edited_by = coalesce(
            (SELECT e.actor_id FROM chitieu.audit_event e
             WHERE e.province_id = p AND e.entity_type = 'result' AND e.entity_id = r.result_id::text
               AND e.action IN ('result.create', 'result.update', 'result.correct')
               AND e.actor_id IS NOT NULL  -- a migration's own rewrite (0018) is nobody's edit
             ORDER BY e.event_id DESC LIMIT 1),
            r.created_by)
        WHERE r.province_id = p;
    END LOOP;
    SET LOCAL app.province_id = '';
END
$$;

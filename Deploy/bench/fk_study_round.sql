-- One round of fk_study.sql (which sets :round, :tcols and :rcols): every variant once, alternated.

\echo 'target, round' :round
TRUNCATE fk_study.target_bare, fk_study.target_keys, fk_study.target_fk, fk_study.target_nv, fk_study.target_set, fk_study.target_unit, fk_study.target_owner;

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.target_bare (:tcols) SELECT :tcols FROM fk_study.target_src;
INSERT INTO fk_study.timing SELECT 'target', 'bare', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.target_keys (:tcols) SELECT :tcols FROM fk_study.target_src;
INSERT INTO fk_study.timing SELECT 'target', '(b) keys', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.target_fk (:tcols) SELECT :tcols FROM fk_study.target_src;
INSERT INTO fk_study.timing SELECT 'target', '(a) fk', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
ALTER TABLE fk_study.target_nv DROP CONSTRAINT target_nv_indicator, DROP CONSTRAINT target_nv_unit, DROP CONSTRAINT target_nv_phase;
INSERT INTO fk_study.target_nv (:tcols) SELECT :tcols FROM fk_study.target_src;
ALTER TABLE fk_study.target_nv
    ADD CONSTRAINT target_nv_indicator FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT target_nv_unit FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT NOT VALID,
    ADD CONSTRAINT target_nv_phase FOREIGN KEY (province_id, phase_id) REFERENCES chitieu.phase (province_id, phase_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE fk_study.target_nv VALIDATE CONSTRAINT target_nv_indicator, VALIDATE CONSTRAINT target_nv_unit, VALIDATE CONSTRAINT target_nv_phase;
INSERT INTO fk_study.timing SELECT 'target', '(c) not valid + validate', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
BEGIN;
WITH indicator_refs AS MATERIALIZED (SELECT DISTINCT province_id, indicator_id FROM fk_study.target_src),
indicator_held AS (SELECT 1 FROM chitieu.indicator x JOIN indicator_refs r ON x.province_id = r.province_id AND x.indicator_id = r.indicator_id FOR KEY SHARE OF x),
unit_refs AS MATERIALIZED (SELECT DISTINCT province_id, unit_id FROM fk_study.target_src),
unit_held AS (SELECT 1 FROM chitieu.admin_unit x JOIN unit_refs r ON x.province_id = r.province_id AND x.unit_id = r.unit_id FOR KEY SHARE OF x),
phase_refs AS MATERIALIZED (SELECT DISTINCT province_id, phase_id FROM fk_study.target_src),
phase_held AS (SELECT 1 FROM chitieu.phase x JOIN phase_refs r ON x.province_id = r.province_id AND x.phase_id = r.phase_id FOR KEY SHARE OF x)
SELECT (SELECT count(*) FROM indicator_refs) - (SELECT count(*) FROM indicator_held) AS indicator_missing,
       (SELECT count(*) FROM unit_refs) - (SELECT count(*) FROM unit_held) AS unit_missing,
       (SELECT count(*) FROM phase_refs) - (SELECT count(*) FROM phase_held) AS phase_missing;
INSERT INTO fk_study.target_set (:tcols) SELECT :tcols FROM fk_study.target_src;
COMMIT;
INSERT INTO fk_study.timing SELECT 'target', '(d) set-wise check', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.target_unit (:tcols) SELECT :tcols FROM fk_study.target_src;
INSERT INTO fk_study.timing SELECT 'target', '(e) unit key only', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
SET ROLE chitieu_owner;
INSERT INTO fk_study.target_owner (:tcols) SELECT :tcols FROM fk_study.target_src;
RESET ROLE;
INSERT INTO fk_study.timing SELECT 'target', '(f) fk as owner', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

\echo 'result, round' :round
TRUNCATE fk_study.result_bare, fk_study.result_keys, fk_study.result_fk, fk_study.result_nv, fk_study.result_set, fk_study.result_unit, fk_study.result_owner;

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.result_bare (:rcols) SELECT :rcols FROM fk_study.result_src;
INSERT INTO fk_study.timing SELECT 'result', 'bare', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.result_keys (:rcols) SELECT :rcols FROM fk_study.result_src;
INSERT INTO fk_study.timing SELECT 'result', '(b) keys', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.result_fk (:rcols) SELECT :rcols FROM fk_study.result_src;
INSERT INTO fk_study.timing SELECT 'result', '(a) fk', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
ALTER TABLE fk_study.result_nv DROP CONSTRAINT result_nv_province, DROP CONSTRAINT result_nv_indicator, DROP CONSTRAINT result_nv_unit;
INSERT INTO fk_study.result_nv (:rcols) SELECT :rcols FROM fk_study.result_src;
ALTER TABLE fk_study.result_nv
    ADD CONSTRAINT result_nv_province FOREIGN KEY (province_id) REFERENCES chitieu.province (province_id) ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT result_nv_indicator FOREIGN KEY (province_id, indicator_id) REFERENCES chitieu.indicator (province_id, indicator_id) ON DELETE RESTRICT NOT VALID,
    ADD CONSTRAINT result_nv_unit FOREIGN KEY (province_id, unit_id) REFERENCES chitieu.admin_unit (province_id, unit_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE fk_study.result_nv VALIDATE CONSTRAINT result_nv_province, VALIDATE CONSTRAINT result_nv_indicator, VALIDATE CONSTRAINT result_nv_unit;
INSERT INTO fk_study.timing SELECT 'result', '(c) not valid + validate', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
BEGIN;
WITH province_refs AS MATERIALIZED (SELECT DISTINCT province_id FROM fk_study.result_src),
province_held AS (SELECT 1 FROM chitieu.province x JOIN province_refs r ON x.province_id = r.province_id FOR KEY SHARE OF x),
indicator_refs AS MATERIALIZED (SELECT DISTINCT province_id, indicator_id FROM fk_study.result_src),
indicator_held AS (SELECT 1 FROM chitieu.indicator x JOIN indicator_refs r ON x.province_id = r.province_id AND x.indicator_id = r.indicator_id FOR KEY SHARE OF x),
unit_refs AS MATERIALIZED (SELECT DISTINCT province_id, unit_id FROM fk_study.result_src),
unit_held AS (SELECT 1 FROM chitieu.admin_unit x JOIN unit_refs r ON x.province_id = r.province_id AND x.unit_id = r.unit_id FOR KEY SHARE OF x)
SELECT (SELECT count(*) FROM province_refs) - (SELECT count(*) FROM province_held) AS province_missing,
       (SELECT count(*) FROM indicator_refs) - (SELECT count(*) FROM indicator_held) AS indicator_missing,
       (SELECT count(*) FROM unit_refs) - (SELECT count(*) FROM unit_held) AS unit_missing;
INSERT INTO fk_study.result_set (:rcols) SELECT :rcols FROM fk_study.result_src;
COMMIT;
INSERT INTO fk_study.timing SELECT 'result', '(d) set-wise check', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO fk_study.result_unit (:rcols) SELECT :rcols FROM fk_study.result_src;
INSERT INTO fk_study.timing SELECT 'result', '(e) unit key only', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

SELECT clock_timestamp() AS t0 \gset
SET ROLE chitieu_owner;
INSERT INTO fk_study.result_owner (:rcols) SELECT :rcols FROM fk_study.result_src;
RESET ROLE;
INSERT INTO fk_study.timing SELECT 'result', '(f) fk as owner', :round, extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);

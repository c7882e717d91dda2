-- The variants of one table (:tbl) in one round (:round) of fk_study.sql, each from an empty copy.
\echo :tbl ', round' :round
SELECT format('TRUNCATE %s', string_agg('fk_study.' || c.relname, ', ')) FROM pg_class c
WHERE c.relnamespace = 'fk_study'::regnamespace AND c.relkind = 'r' AND c.relname LIKE :'tbl' || '\_%' AND c.relname <> :'tbl' || '_src' \gexec
SELECT fk_study.timed(:'tbl', 'bare', :round);
SELECT fk_study.timed(:'tbl', '(b) keys', :round);
SELECT fk_study.timed(:'tbl', '(a) fk', :round);
SELECT fk_study.timed(:'tbl', '(c) not valid + validate', :round);
SELECT fk_study.timed(:'tbl', '(d) set-wise check', :round);
SELECT fk_study.timed(:'tbl', '(e) unit key only', :round);
SET ROLE chitieu_owner;
SELECT fk_study.timed(:'tbl', '(f) fk as owner', :round);
RESET ROLE;

-- One round of fk_study.sql (which sets :round): every variant of each table once, alternated.
\set tbl target
\ir fk_study_table.sql
\set tbl result
\ir fk_study_table.sql
SELECT :round + 1 AS round \gset

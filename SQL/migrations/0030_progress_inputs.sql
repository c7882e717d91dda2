-- chitieu 0030: what the last full computation of a phase read, so a rerun with nothing changed
-- stops after reading row versions (chitieu.compute_progress, SQL/repeatable/05_progress.sql).
ALTER TABLE chitieu.progress_run ADD COLUMN inputs text;
COMMENT ON COLUMN chitieu.progress_run.inputs IS
    'Digests of the row versions the computation read (chitieu.progress_inputs) and of the figures it left (chitieu.progress_figure_versions); NULL before the first run that recorded them.';

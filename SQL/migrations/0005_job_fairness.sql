-- chitieu 0005: claiming jobs fairly between provinces. Workers take the head of each
-- province's pending jobs in turn, so one province with a large backlog does not hold up
-- another's job by more than a batch; this index serves both the walk over provinces with
-- pending jobs and each province's head.
CREATE INDEX job_pending_by_province ON chitieu.job (province_id, priority DESC, run_at, job_id) WHERE state = 'pending';

-- Deployment-wide jobs (no province) have their own head: a btree's IS NULL condition does
-- not give the province index's order, so without this the head would be a sort of them all.
CREATE INDEX job_pending_global ON chitieu.job (priority DESC, run_at, job_id) WHERE state = 'pending' AND province_id IS NULL;

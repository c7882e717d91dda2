-- Completion figures kept in daemons' memory: every change to what a progress answer depends
-- on is announced on the channel chitieu_figures with the province id, in the transaction that
-- makes it, and every daemon drops that province's answers when it commits.
-- chitieu.compute_progress (SQL/repeatable/05_progress.sql) announces the figures it changed;
-- unit imports and province merges announce their units. A numbered migration, so that /ready
-- answers 503 on a database whose compute_progress does not announce yet, and a binary from
-- before it refuses to migrate the database back.

CREATE FUNCTION chitieu.announce_figures(p_province_id bigint)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_notify('chitieu_figures', p_province_id::text)
$$;
COMMENT ON FUNCTION chitieu.announce_figures(bigint) IS
    'Tells every daemon that the province''s completion figures or units changed (at commit).';
GRANT EXECUTE ON FUNCTION chitieu.announce_figures(bigint) TO chitieu_app;

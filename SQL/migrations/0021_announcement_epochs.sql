-- Announcements a daemon can check. Any role of the cluster may NOTIFY chitieu_auth or
-- chitieu_figures (PostgreSQL has no privilege for it), so a notification proves nothing: a
-- change is now announced by bumping its province's epoch in chitieu.cache_epoch, which only the
-- owner writes (through chitieu.announce_change, which the daemon's role may call), and the
-- NOTIFY that follows carries no payload. On a notification a daemon reads the epochs and drops
-- the kept answers of the provinces whose epoch moved, and only those: a forged notification
-- costs it one read of a small table and drops nothing. Whoever LISTENs learns that some change
-- was made somewhere in the deployment, and when, but not of which province.

CREATE TABLE chitieu.cache_epoch (
    channel     text NOT NULL CHECK (channel IN ('chitieu_auth', 'chitieu_figures')),
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    epoch       bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (channel, province_id)
);
COMMENT ON TABLE chitieu.cache_epoch IS
    'Per channel and province, how many changes were announced to the daemons (they drop what they kept of a province when its epoch moves). Written only through chitieu.announce_change.';
GRANT SELECT ON chitieu.cache_epoch TO chitieu_app;

CREATE FUNCTION chitieu.announce_change(p_channel text, p_province_id bigint)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO chitieu.cache_epoch AS e (channel, province_id) VALUES (p_channel, p_province_id)
    ON CONFLICT (channel, province_id) DO UPDATE SET epoch = e.epoch + 1;
    SELECT pg_notify(p_channel, '');
$$;
COMMENT ON FUNCTION chitieu.announce_change(text, bigint) IS
    'Tells every daemon, at commit, that what it keeps of the province on this channel (chitieu_auth: tokens; chitieu_figures: progress answers) changed.';
REVOKE ALL ON FUNCTION chitieu.announce_change(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.announce_change(text, bigint) TO chitieu_app;

CREATE OR REPLACE FUNCTION chitieu.announce_figures(p_province_id bigint)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT chitieu.announce_change('chitieu_figures', p_province_id)
$$;

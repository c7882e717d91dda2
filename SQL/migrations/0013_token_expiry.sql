-- check_token also returns the token's expiry: a daemon that keeps verified tokens in memory
-- for a short while knows when each one ends. Changes to what a token stands for (the token, its
-- account, the account's grants, the province's settings) are announced by the application on
-- the channel chitieu_auth, payload the province id, in the transaction that makes them (no
-- trigger: tenant tables carry none, for Citus).

DROP FUNCTION chitieu.check_token(bigint, bytea);
CREATE FUNCTION chitieu.check_token(p_province_id bigint, p_token_hash bytea)
RETURNS TABLE (
    token_id uuid, token_hash bytea, expired boolean, revoked boolean, expires_at timestamptz,
    account_id uuid, province_id bigint, username text, display_name text, status text, home_unit_id bigint, created_at timestamptz,
    grant_roles text[], grant_units bigint[], district_allocation boolean
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM chitieu.use_province(p_province_id);
    UPDATE chitieu.api_token t SET last_used_at = now()
    WHERE t.province_id = p_province_id AND t.token_hash = p_token_hash
      AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
      AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute');
    RETURN QUERY
    SELECT t.token_id, t.token_hash, t.expires_at <= now(), t.revoked_at IS NOT NULL, t.expires_at,
           a.account_id, a.province_id, a.username, a.display_name::text, a.status, a.home_unit_id, a.created_at,
           coalesce(g.roles, '{}'), coalesce(g.units, '{}'),
           (SELECT p.district_allocation FROM chitieu.province p WHERE p.province_id = t.province_id)
    FROM chitieu.api_token t JOIN chitieu.account a ON a.province_id = t.province_id AND a.account_id = t.account_id
    -- The grants in force today, read once: roles and units in the same order.
    LEFT JOIN LATERAL (
        SELECT array_agg(r.role ORDER BY r.grant_id) AS roles, array_agg(r.unit_id ORDER BY r.grant_id) AS units
        FROM chitieu.role_grant r
        WHERE r.province_id = t.province_id AND r.account_id = t.account_id AND r.revoked_at IS NULL
          AND r.valid_from <= current_date AND (r.valid_to IS NULL OR r.valid_to >= current_date)
    ) g ON true
    WHERE t.province_id = p_province_id AND t.token_hash = p_token_hash;
END
$$;
COMMENT ON FUNCTION chitieu.check_token(bigint, bytea) IS
    'A bearer token''s state and expiry, account, current grants and province setting, in one statement; marks it used at most once a minute.';
REVOKE ALL ON FUNCTION chitieu.check_token(bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chitieu.check_token(bigint, bytea) TO chitieu_app;

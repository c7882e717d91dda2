-- chitieu.unit_path runs on every access check. As an SQL function its recursive query was
-- planned anew at each call (about a quarter of a millisecond, more than the rest of a check);
-- in PL/pgSQL the plan is kept for the session. Same query, same result.
CREATE OR REPLACE FUNCTION chitieu.unit_path(p_province_id bigint, p_unit_id bigint)
RETURNS bigint[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        WITH RECURSIVE up AS (
            SELECT u.unit_id, u.parent_id, u.level, 0 AS depth FROM chitieu.admin_unit u
            WHERE u.province_id = p_province_id AND u.unit_id = p_unit_id
          UNION ALL
            SELECT n.unit_id, n.parent_id, n.level, up.depth + 1
            FROM up
            JOIN LATERAL (
                SELECT p.unit_id, p.parent_id, p.level FROM chitieu.admin_unit p
                WHERE p.province_id = p_province_id AND p.unit_id = up.parent_id
              UNION ALL
                SELECT t.unit_id, t.parent_id, t.level FROM chitieu.unit_succession s
                JOIN chitieu.admin_unit t ON t.province_id = p_province_id AND t.unit_id = s.to_unit_id AND t.level = 'province'
                WHERE up.parent_id IS NULL AND up.level = 'province' AND s.province_id = p_province_id AND s.from_unit_id = up.unit_id
            ) n ON true
            WHERE up.depth < 12
        )
        SELECT array_agg(unit_id ORDER BY depth DESC) FROM up
    );
END
$$;

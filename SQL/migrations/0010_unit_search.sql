-- chitieu 0009: finding units by name as people type it: with or without diacritics, with the
-- tone mark on either vowel (Hoà / Hòa, Thuỷ / Thủy), in any case.
--
-- Both the stored names and the query go through chitieu.search_key: NFD, combining marks
-- removed, đ as d, lower case. A province has at most about a thousand units and a search
-- reads one province's rows (the primary key's prefix), so the key is a stored column
-- rather than a trigram index and its extension.

CREATE FUNCTION chitieu.search_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(translate(regexp_replace(normalize(t, NFD), '[\u0300-\u036f]', '', 'g'), 'đĐ', 'dD') COLLATE "C")
$$;
COMMENT ON FUNCTION chitieu.search_key(text) IS 'A name as search compares it: NFD, combining marks removed, đ as d, lower case (Xã Xuân Hòa and XÃ XUÂN HOÀ both give xa xuan hoa).';

ALTER TABLE chitieu.admin_unit ADD COLUMN search_name text GENERATED ALWAYS AS (chitieu.search_key(name)) STORED;
COMMENT ON COLUMN chitieu.admin_unit.search_name IS 'The name as search compares it (chitieu.search_key): no diacritics, đ as d, lower case.';

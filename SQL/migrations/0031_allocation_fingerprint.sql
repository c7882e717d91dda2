-- What the last allocation of every indicator of a phase left: a fingerprint of its inputs and
-- outputs (the phase's target cells, its allocation rules, the province's indicators, the units
-- valid during the phase and their attributes), taken in the allocation's own snapshot after
-- it wrote. An allocation whose fingerprint still matches would write nothing, and skips.
ALTER TABLE chitieu.phase ADD COLUMN allocation_fingerprint bigint;
COMMENT ON COLUMN chitieu.phase.allocation_fingerprint IS
    'Fingerprint of the targets, rules, indicators and units the last allocation of every indicator left; NULL before one. Written by the allocation only.';

-- The household SIPAS's two-stage draw (METHOD §6). A commune's villages
-- and residential groups with their households (the size measure); a drawn
-- village keeps its chance of being drawn as a fraction of whole numbers.
CREATE TABLE villages (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    households  BIGINT NOT NULL,
    chance_num  BIGINT,
    chance_den  BIGINT,
    PRIMARY KEY (campaign_id, code),
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);

-- A drawn village's households each had the same chance, P(village) ×
-- take ÷ listed: the design weight belongs to the cell (unit × group ×
-- village), never to an answer, so it tells no answer from the others of
-- its batch (SPEC §10).
CREATE TABLE design_cells (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    chance_num  BIGINT NOT NULL,
    chance_den  BIGINT NOT NULL,
    listed      BIGINT NOT NULL,
    take        BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit, group_code, field)
);

-- Counts kept as answers arrive, so a report over a million responses reads a
-- few thousand rows instead of every response. One row per unit × group ×
-- field × question × answer cell ('' stands for "no field"); free-text answers
-- are not counted here (no index uses them), they stay in `responses`.
CREATE TABLE tallies (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit, group_code, field, question, answer)
);

-- Responses per unit × group × field.
CREATE TABLE cell_counts (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit, group_code, field)
);

-- Responses already stored are counted once, here.
INSERT INTO tallies (campaign_id, unit, group_code, field, question, answer, n)
SELECT r.campaign_id, r.unit, r.group_code, COALESCE(r.field, ''), j.key, j.value, COUNT(*)
FROM responses r, json_each(r.answers) j
GROUP BY r.campaign_id, r.unit, r.group_code, COALESCE(r.field, ''), j.key, j.value;

INSERT INTO cell_counts (campaign_id, unit, group_code, field, n)
SELECT campaign_id, unit, group_code, COALESCE(field, ''), COUNT(*)
FROM responses GROUP BY campaign_id, unit, group_code, COALESCE(field, '');

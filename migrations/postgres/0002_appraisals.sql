-- Appraised self-assessment points of the composite PAR INDEX (METHOD §4),
-- one row per unit and criterion. Points are exact decimals kept as text.
CREATE TABLE appraisals (
    campaign_id      TEXT NOT NULL REFERENCES campaigns(id),
    unit             TEXT NOT NULL,
    area             TEXT NOT NULL,
    criterion        TEXT NOT NULL,
    max_points       TEXT NOT NULL,
    self_points      TEXT,
    appraised_points TEXT NOT NULL,
    source_line      BIGINT,
    PRIMARY KEY (campaign_id, unit, criterion)
);

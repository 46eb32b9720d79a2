-- Paper questionnaires carry a random number of their own, issued per unit ×
-- group (quota plus spares) and linked to no person: a ballot is keyed
-- against its number, once (SPEC §10).
CREATE TABLE ballot_numbers (
    campaign_id TEXT NOT NULL,
    number      TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    PRIMARY KEY (campaign_id, number),
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);

-- A file of keyed ballots is imported once: the same bytes again import nothing.
CREATE TABLE paper_imports (
    campaign_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    ballots     BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, fingerprint)
);

-- The paper ballot's own number, and why a response was taken out of the
-- indices (withdrawn as wrongly keyed, or excluded after review); never deleted.
ALTER TABLE responses ADD COLUMN ballot TEXT;
ALTER TABLE responses ADD COLUMN excluded TEXT;

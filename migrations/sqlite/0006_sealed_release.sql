-- Answers are released to `responses` only in shuffled batches of at least k
-- per unit × group × field (SPEC §10). Until then they wait here, sealed with
-- the service's key (kept outside the database), with no link to the
-- invitation they came from.
CREATE TABLE held_answers (
    id          INTEGER PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    sealed      BLOB NOT NULL
);
CREATE INDEX held_answers_by_cell ON held_answers (campaign_id, unit, group_code, field);

-- One line per release: how many answers came out together, and whether they
-- were a remainder under k released when the campaign closed.
CREATE TABLE releases (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    n           BIGINT NOT NULL,
    below_k     INTEGER NOT NULL,
    released_on TEXT NOT NULL
);
CREATE INDEX releases_by_campaign ON releases (campaign_id);

-- Drafts are named by a keyed hash of their token and sealed: the old table
-- kept the token and the answers in plain text, so it goes (unsaved drafts
-- are lost once, on upgrade).
DROP TABLE drafts;
CREATE TABLE drafts (
    name        TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The service's key is recognised by a check value, never stored itself.
CREATE TABLE service_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE campaigns ADD COLUMN anonymity_k INTEGER NOT NULL DEFAULT 5;

-- Exports and streams read responses by a random key inside each cell, never
-- in order of arrival.
ALTER TABLE responses ADD COLUMN shuffle BIGINT NOT NULL DEFAULT 0;
UPDATE responses SET shuffle = random();
CREATE INDEX responses_shuffled ON responses (campaign_id, unit, group_code, field, shuffle);

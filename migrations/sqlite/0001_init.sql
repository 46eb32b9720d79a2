-- Campaigns and their structure. The full checked definition (questionnaires
-- included) is kept as JSON; units and quotas are also rows so SQL can join them.
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    opens       TEXT NOT NULL,
    closes      TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE units (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT,
    PRIMARY KEY (campaign_id, code)
);

CREATE TABLE quotas (
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    quota       INTEGER NOT NULL CHECK (quota >= 0),
    -- invitations issued from a standing counter QR; never above quota
    issued      INTEGER NOT NULL DEFAULT 0,
    answered    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit, group_code),
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);

-- Personal data of the sampling frame: kept apart, never joined into responses.
CREATE TABLE frame_people (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    procedure   TEXT NOT NULL,
    field       TEXT,
    address     TEXT NOT NULL,
    phone       TEXT NOT NULL,
    source_line INTEGER,
    created_at  TEXT NOT NULL,
    UNIQUE (campaign_id, unit, phone),
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);

CREATE TABLE invitations (
    token       TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT,
    person_id   INTEGER REFERENCES frame_people(id),
    status      TEXT NOT NULL DEFAULT 'issued',
    created_at  TEXT NOT NULL,
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);
CREATE INDEX invitations_by_unit ON invitations (campaign_id, unit, group_code, status);

-- Answers saved before submission so a respondent can resume; deleted on submit.
CREATE TABLE drafts (
    token       TEXT PRIMARY KEY REFERENCES invitations(token),
    cells       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Submitted answers. No token, no person, and only the day of submission.
CREATE TABLE responses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  TEXT NOT NULL,
    unit         TEXT NOT NULL,
    group_code   TEXT NOT NULL,
    field        TEXT,
    submitted_on TEXT NOT NULL,
    source       TEXT NOT NULL,
    answers      TEXT NOT NULL,
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);
CREATE INDEX responses_by_campaign ON responses (campaign_id, unit, group_code);

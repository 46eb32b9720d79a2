-- Officials and delegates reached by e-mail (issue: invitations by e-mail).
-- The address is personal data: it lives with the person in the frame or
-- roster, never with an answer.
ALTER TABLE frame_people ADD COLUMN email TEXT;
-- The person asked for no more e-mail about this campaign (the link in
-- every message), or their address bounced: neither is written to again.
ALTER TABLE frame_people ADD COLUMN mail_opt_out_at TEXT;
ALTER TABLE frame_people ADD COLUMN mail_bounced_at TEXT;

-- Every message sent to a person and what became of it. `round` is 0 for
-- the invitation and 1, 2, … for reminders: one row a round, claimed
-- ('sending') before the message leaves, so two runs never send the same
-- round twice, and a run stopped mid-send leaves 'sending', never resent
-- by itself.
CREATE TABLE mail_sends (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES frame_people(id),
    round       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (person_id, round)
);
CREATE INDEX mail_sends_by_campaign ON mail_sends (campaign_id, status);

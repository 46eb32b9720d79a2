-- Field operations: sampling with reserves, printed slips, outcomes chased by
-- enumerators, staff accounts and the audit log of what they change.

-- A code a person can type from a printed slip (Crockford base32, 8 characters).
ALTER TABLE invitations ADD COLUMN code TEXT;
CREATE UNIQUE INDEX invitations_by_code ON invitations (code);
-- NULL for an invitation of the sample proper; 1, 2, … the order in which
-- reserves of the same unit, group and field are released.
ALTER TABLE invitations ADD COLUMN reserve_rank INTEGER;
-- Calls made without reaching the person.
ALTER TABLE invitations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- The reserve released in this invitation's place.
ALTER TABLE invitations ADD COLUMN replaced_by TEXT;
ALTER TABLE invitations ADD COLUMN updated_at TEXT;
CREATE INDEX invitations_by_person ON invitations (person_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'enumerator', 'analyst')),
    -- Units an enumerator may work on, comma-separated codes.
    units         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Only a hash of the session cookie and of API tokens is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE login_failures (
    name TEXT NOT NULL,
    at   TEXT NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (name, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_by_campaign ON audit_log (campaign_id, id);

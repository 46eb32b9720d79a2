-- Account lifecycle: disabled accounts, API tokens that expire and can be
-- revoked, failed sign-ins counted per typed name and client address under
-- fixed-size hashes (whatever is typed costs the same few bytes, and an
-- outsider's failures lock only the outsider's own address).
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
-- Tokens issued before they expired get the standard 90 days from now.
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%S+00:00', 'now', '+90 days');
DROP TABLE login_failures;
CREATE TABLE login_failures (
    name_key   TEXT NOT NULL,
    client_key TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (name_key, client_key, at);
CREATE INDEX login_failures_by_age ON login_failures (at);
-- Messages shown once after a form is posted (errors naming bad rows may
-- quote a file's cells): kept here for their reader, never put in a URL.
CREATE TABLE flash_messages (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ok         INTEGER NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

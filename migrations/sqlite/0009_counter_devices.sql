-- Screens and tablets enrolled at a one-stop counter. A device shows a QR
-- code that changes every two minutes, signed with the service key, so a
-- photographed code soon stops working. Only a hash of its secret is kept.
CREATE TABLE counter_devices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    label       TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    FOREIGN KEY (campaign_id, unit) REFERENCES units(campaign_id, code)
);

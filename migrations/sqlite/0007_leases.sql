-- A lease on work that must not run twice at once across processes (a
-- campaign's sampling): taken by one holder until it is given back or expires.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);

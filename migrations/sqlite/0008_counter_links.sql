-- A questionnaire taken from a counter lives for a while only: unanswered,
-- it expires and frees its place under the unit's cap (SPEC §10).
ALTER TABLE invitations ADD COLUMN expires_at TEXT;

-- The enumerators' offline app (issue: offline questionnaire): an
-- interview finished offline is sent with an id its phone made, kept with
-- the invitation (never with the answer), so a resend is stored once and a
-- second phone's answer to the same invitation is refused with a reason.
ALTER TABLE invitations ADD COLUMN offline_client TEXT;

-- A pack's key syncs interviews and nothing else; an API token opens the
-- report API and never syncs. A password reset or a disabled account
-- revokes the account's keys: a lost phone stops with them.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';

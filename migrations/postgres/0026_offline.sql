-- The enumerators' offline app (issue: offline questionnaire): an
-- interview finished offline is sent with an id its phone made, kept with
-- the invitation (never with the answer), so a resend is stored once and a
-- second phone's answer to the same invitation is refused with a reason.
ALTER TABLE invitations ADD COLUMN offline_client TEXT;

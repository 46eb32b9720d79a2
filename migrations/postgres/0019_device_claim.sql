-- A counter device is enrolled with a one-time link: until it is opened on
-- the device (`claim_until`, a day), `secret_hash` holds the link's code; the
-- device then trades it for a secret kept only in an HttpOnly cookie, and the
-- column is cleared; a claimed device's secret is never a code. A device
-- enrolled before had its secret in its address (and so in browser
-- histories, proxy logs and questionnaire links): it opens nothing now and
-- is enrolled again.
ALTER TABLE counter_devices ADD COLUMN claim_until TIMESTAMPTZ;
UPDATE counter_devices SET secret_hash = 'before-0019:' || secret_hash;

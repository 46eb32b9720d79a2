-- A counter device is enrolled with a one-time link: until it is opened on
-- the device (`claim_until`, a day), `secret_hash` holds the link's code; the
-- device then trades it for a secret kept only in an HttpOnly cookie, and the
-- column is cleared. Devices enrolled before keep their secret, which their
-- next visit trades the same way.
ALTER TABLE counter_devices ADD COLUMN claim_until TEXT;

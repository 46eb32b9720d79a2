-- A counter tablet's mode is the device's, set at enrolment, not a query
-- parameter the tablet's address carries: `open` (anyone at the start page),
-- `staff` (after a staff press each transaction), `1inN` (a press, then one
-- person in N drawn by the server).
ALTER TABLE counter_devices ADD COLUMN mode TEXT NOT NULL DEFAULT 'open';

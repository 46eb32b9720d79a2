-- Coarse signals a response is worth a second look (straight-lining, answered
-- implausibly fast, one of a burst from one address), comma-separated; cleared
-- once an admin has reviewed it. Never an address or anything tied to a person.
ALTER TABLE responses ADD COLUMN flags TEXT;

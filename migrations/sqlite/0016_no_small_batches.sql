-- No batch smaller than k (SPEC §10, 2026-12): at close a small cell is
-- released with its field suppressed into its unit × group ('generalised'),
-- and what is still under k counts only above the unit ('above_unit', one
-- line per unit it came from, so the unit's report can say so). A review
-- flag that tells when an answer came (a burst from one address) is kept as
-- a count per batch, never on the response.
ALTER TABLE releases ADD COLUMN kind TEXT NOT NULL DEFAULT 'cell';
ALTER TABLE releases ADD COLUMN burst BIGINT NOT NULL DEFAULT 0;

-- Paper ballots wait sealed like online answers and come out in the same
-- batches: a ballot number is marked used when its batch is released, and
-- until then only a keyed tag of it (not joinable to the number without the
-- service's key) stops the same ballot being keyed twice.
CREATE TABLE keyed_ballots (
    campaign_id TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (campaign_id, tag)
);

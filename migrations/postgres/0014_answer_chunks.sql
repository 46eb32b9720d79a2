-- Answers kept column by column (shared/src/store/columns.rs), for
-- breakdowns by the answer to any question: one row per batch of responses
-- of one unit × group × field entering (+1) or leaving (−1) the indices,
-- written in the transaction that writes their tallies. The sweep folds a
-- cell's rows into one. Responses stored before this table existed are
-- encoded the first time a breakdown needs them.
CREATE TABLE answer_chunks (
    id          BIGSERIAL PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    unit        TEXT NOT NULL,
    group_code  TEXT NOT NULL,
    field       TEXT NOT NULL,
    sign        BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    body        BYTEA NOT NULL
);
CREATE INDEX answer_chunks_cell ON answer_chunks (campaign_id, unit, group_code, field);

-- How far each incremental step (marts, the warehouse suite) has read the history: the last
-- submission whose observations it reflects, as of when, and a fingerprint of the reference
-- data and rules it used (a different one means rebuild in full).
create table if not exists refresh_state (
    step                varchar primary key,
    as_of               timestamptz not null,
    last_submission_id  bigint not null,
    fingerprint         varchar not null
)

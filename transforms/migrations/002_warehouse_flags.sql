-- What the nightly warehouse suite flagged, by key only: which member, period and indicator
-- broke which rule (its counts go to validation_results with no submission_id).
create table warehouse_flags (
    run_at     timestamptz not null,
    suite      varchar not null,
    rule       varchar not null,
    severity   varchar not null,
    member_id  varchar not null,
    period     varchar not null,
    indicator  varchar not null
);

-- An accepted submission left with no open row (closed since $first) is superseded by the
-- submission of the chunk ($ids, loaded at $loaded_at) whose load closed its last row.
update submissions set
    state = 'superseded',
    superseded_by = closer.submission_id,
    state_changed_at = closer.valid_from
from (
    select
        submission_id,
        max(valid_to) as last_closed
    from observations
    where submission_id in (
        select submission_id from observations where valid_to >= $first
    )
    group by submission_id
    having count(*) = count(valid_to)
) as gone,
(
    select
        unnest($ids) as submission_id,
        unnest($loaded_at) as valid_from
) as closer
where submissions.submission_id = gone.submission_id
    and closer.valid_from = gone.last_closed
    and submissions.state in ('accepted', 'accepted_with_warnings')

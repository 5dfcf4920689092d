-- What each submission's receipt says, for those whose state changed at or after $changed_at
-- (every submission when it is null) and, unless it is null, whose id is in $only; oldest first.
select
    submission_id,
    file_name,
    sha256,
    member_id,
    received_at,
    state,
    file_format,
    observation_count,
    duplicate_of,
    superseded_by,
    problems
from submissions
where ($changed_at is null or state_changed_at >= $changed_at)
    and ($only is null or list_contains($only, submission_id))
order by submission_id

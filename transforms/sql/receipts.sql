-- What each submission's receipt says, for those whose state changed at or after $changed_at
-- (every submission when it is null) and, unless it is null, whose id is in $only; oldest first.
select
    s.submission_id,
    s.file_name,
    s.sha256,
    s.member_id,
    s.received_at,
    s.state,
    s.file_format,
    s.observation_count,
    s.duplicate_of,
    s.superseded_by,
    s.problems,
    -- the files named by number, always the member's own (copies and corrections are)
    original.file_name as duplicate_of_file,
    newer.file_name as superseded_by_file
from submissions s
left join submissions original on original.submission_id = s.duplicate_of
left join submissions newer on newer.submission_id = s.superseded_by
where ($changed_at is null or s.state_changed_at >= $changed_at)
    and ($only is null or list_contains($only, s.submission_id))
order by s.submission_id

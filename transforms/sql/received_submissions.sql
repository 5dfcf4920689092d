-- Every file received, oldest first, as `efc submissions` lists it: only one member's
-- ($member_id) and only those in one state ($state) when either is given.
select
    submission_id,
    member_id,
    file_name as file,
    received_at,
    state,
    observation_count as observations,
    error_count as errors,
    warning_count as warnings
from submissions
where ($member_id is null or member_id = $member_id)
    and ($state is null or state = $state)
order by submission_id

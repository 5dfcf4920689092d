-- The first submission of $member_id with these bytes ($sha256) that was loaded (its state
-- one of $loaded_states): what a copy received later the same night duplicates.
select min(submission_id) as submission_id
from submissions
where member_id = $member_id
    and sha256 = $sha256
    and list_contains($loaded_states, state)

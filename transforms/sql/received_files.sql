-- Every file handled before, oldest first: how a new scan of the inbox recognises a file
-- already received (its member, the SHA-256 of its name and of its bytes) and what became
-- of it.
select
    member_id,
    file_name_sha256,
    sha256,
    submission_id,
    state
from submissions
order by submission_id

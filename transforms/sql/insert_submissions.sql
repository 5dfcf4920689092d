-- The received files of a load chunk (the registered frame chunk_submissions, one row per file
-- with the id it was given), whatever became of them.
insert into submissions (
    submission_id, sha256, member_id, file_name, file_name_sha256, file_format, size_bytes,
    received_at, state, state_changed_at, observation_count, error_count, warning_count,
    duplicate_of, problems
)
select
    submission_id,
    sha256,
    member_id,
    file_name,
    file_name_sha256,
    file_format,
    size_bytes,
    received_at,
    state,
    state_changed_at,
    observation_count,
    error_count,
    warning_count,
    duplicate_of,
    problems
from chunk_submissions
order by submission_id

-- One received file, whatever became of it; returns the id the warehouse gave it.
insert into submissions (
    sha256, member_id, file_name, file_name_sha256, file_format, size_bytes, received_at, state,
    state_changed_at, observation_count, error_count, warning_count, duplicate_of, problems
)
values (
    $sha256, $member_id, $file_name, $file_name_sha256, $file_format, $size_bytes, $received_at,
    $state, $state_changed_at, $observation_count, $error_count, $warning_count, $duplicate_of,
    $problems
)
returning submission_id

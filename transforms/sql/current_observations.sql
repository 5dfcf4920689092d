-- Observations as the data stood at $as_of: loaded by then and not yet replaced by a correction.
-- $member_quarters (a list of {member_id, quarter}) limits it to those; null: every one.
with observations_then as (
    select *
    from observations
    where valid_from <= $as_of
      and (valid_to is null or valid_to > $as_of)
      and ($member_quarters is null or (member_id, quarter) in (
          select scope.member_id, scope.quarter
          from (select unnest($member_quarters) as scope)))
)

select
    observations_then.submission_id,
    observations_then.member_id,
    members.sector,
    observations_then.period,
    observations_then.frequency,
    observations_then.quarter,
    observations_then.indicator,
    observations_then.dimension,
    observations_then.category,
    observations_then.value,
    observations_then.status
from observations_then
join members using (member_id)

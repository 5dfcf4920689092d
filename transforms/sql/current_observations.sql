-- Observations as the data stood at $as_of: loaded by then and not yet replaced by a correction.
with observations_then as (
    select *
    from observations
    where valid_from <= $as_of
      and (valid_to is null or valid_to > $as_of)
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

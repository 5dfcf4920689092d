-- Every member's indicator totals (dimension '') among the current observations: the figures
-- the warehouse suite judges. Read after the marts are refreshed.
select
    member_id,
    period,
    frequency,
    indicator,
    value,
    status
from current_observations
where dimension = ''

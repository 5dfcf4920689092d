-- Every member's indicator totals (dimension '') among the current observations: the figures
-- the warehouse suite judges. Read after the marts are refreshed. $member_periods (a list of
-- {member_id, period}) limits it to those, and $members (a list of member ids) to theirs;
-- null: every one.
select
    member_id,
    period,
    frequency,
    indicator,
    value,
    status
from current_observations
where dimension = ''
  and ($member_periods is null or (member_id, period) in (
      select scope.member_id, scope.period
      from (select unnest($member_periods) as scope)))
  and ($members is null or list_contains($members, member_id))

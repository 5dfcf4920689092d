-- Coalition totals per quarter and cell for additive indicators, from complete member quarters,
-- with the contributions that disclosure control needs (how many members, the largest two).
-- $member_quarters (a list of {member_id, quarter}) limits it to their quarters; null: all.
with complete_values as (
    select *
    from quarterly_member_values
    where is_additive and is_complete and value is not null
      and ($member_quarters is null
           or quarter in (select unnest($member_quarters).quarter))
)

select
    quarter,
    indicator,
    dimension,
    category,
    sum(value) as value,
    -- a member that reported 0 contributes nothing (disclosure control's definition)
    count(*) filter (where value > 0) as contributors,
    list(distinct sector order by sector) as sectors,
    -- the two largest values (equal ones both count), without ranking the rows: a window over
    -- every member-quarter took three quarters of the query's time
    max(value) as largest_contribution,
    coalesce(max(value, 2)[2], 0) as second_contribution,
    bool_or(has_series_break) as has_series_break,
    bool_or(has_estimate) as has_estimate
from complete_values
group by quarter, indicator, dimension, category

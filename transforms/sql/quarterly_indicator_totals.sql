-- Coalition totals per quarter and cell for additive indicators, from complete member quarters,
-- with the contributions that disclosure control needs (how many members, the largest two).
-- $member_quarters (a list of {member_id, quarter}) limits it to their quarters; null: all.
with complete_values as (
    select *
    from quarterly_member_values
    where is_additive and is_complete and value is not null
      and ($member_quarters is null
           or quarter in (select unnest($member_quarters).quarter))
),

ranked as (
    select
        *,
        row_number() over (
            partition by quarter, indicator, dimension, category order by value desc, member_id
        ) as contribution_rank
    from complete_values
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
    max(value) filter (where contribution_rank = 1) as largest_contribution,
    coalesce(max(value) filter (where contribution_rank = 2), 0) as second_contribution,
    bool_or(has_series_break) as has_series_break,
    bool_or(has_estimate) as has_estimate
from ranked
group by quarter, indicator, dimension, category

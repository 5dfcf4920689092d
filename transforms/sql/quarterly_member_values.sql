-- Each member's value per quarter and cell. Additive indicators add their months; non-additive
-- ones (medians, distinct counts) are never summed: the quarter shows the median of its months.
-- $member_quarters (a list of {member_id, quarter}) limits it to those; null: every one.
-- Months reported are counted as bits, one per month of the quarter (a distinct count of periods
-- took half of this query's time).
with current_values as (
    select
        *,
        case when frequency = 'month'
            then 1 << ((cast(right(period, 2) as integer) - 1) % 3) end as month_bit
    from current_observations
    where $member_quarters is null or (member_id, quarter) in (
        select scope.member_id, scope.quarter
        from (select unnest($member_quarters) as scope))
),

indicator_rules as (
    select indicator, is_additive from indicators
),

-- A quarter is complete per member and indicator, judged on its total: a breakdown cell may
-- be absent in a month because it was zero, which does not make the quarter incomplete.
completeness as (
    select
        member_id,
        quarter,
        indicator,
        bool_or(frequency = 'quarter') or coalesce(bit_count(bit_or(month_bit)), 0) = 3
            as is_complete
    from current_values
    where dimension = ''
    group by member_id, quarter, indicator
),

per_member as (
    select
        current_values.member_id,
        current_values.sector,
        current_values.quarter,
        current_values.indicator,
        current_values.dimension,
        current_values.category,
        indicator_rules.is_additive,
        case when indicator_rules.is_additive then sum(current_values.value)
             else median(current_values.value) end as value,
        cast(coalesce(bit_count(bit_or(current_values.month_bit)), 0) as bigint)
            as months_reported,
        bool_or(current_values.frequency = 'quarter') as is_quarterly_report,
        bool_or(current_values.status = 'B') as has_series_break,
        bool_or(current_values.status in ('E', 'P')) as has_estimate,
        count(*) filter (where current_values.value is null) as values_not_available
    from current_values
    join indicator_rules using (indicator)
    group by
        current_values.member_id, current_values.sector, current_values.quarter,
        current_values.indicator, current_values.dimension, current_values.category,
        indicator_rules.is_additive
)

select
    per_member.*,
    coalesce(completeness.is_complete, false) as is_complete
from per_member
left join completeness using (member_id, quarter, indicator)

-- Per quarter, member and indicator: was it expected under the reporting plan, did it arrive
-- complete. Quarters span those that hold any current observation ($member_quarters, a list of
-- {member_id, quarter}, limits it to their quarters; null: all).
with quarter_span as (
    select distinct quarter
    from current_observations
    where $member_quarters is null
       or quarter in (select unnest($member_quarters).quarter)
),

expected as (
    select
        quarter_span.quarter,
        reporting_plan.member_id,
        members.sector,
        reporting_plan.indicator,
        reporting_plan.frequency
    from reporting_plan
    join members using (member_id)
    cross join quarter_span
    where quarter_span.quarter >= case
        when reporting_plan.from_period like '%Q%' then reporting_plan.from_period
        else substr(reporting_plan.from_period, 1, 4) || '-Q'
            || cast((cast(substr(reporting_plan.from_period, 6, 2) as integer) - 1) // 3 + 1
                    as varchar)
    end
),

received as (
    select quarter, member_id, indicator, bool_or(is_complete) as is_complete
    from quarterly_member_values
    where dimension = ''
      and quarter in (select quarter from quarter_span)
    group by all
)

select
    expected.quarter,
    expected.member_id,
    expected.sector,
    expected.indicator,
    expected.frequency,
    received.member_id is not null as is_submitted,
    coalesce(received.is_complete, false) as is_complete
from expected
left join received using (quarter, member_id, indicator)

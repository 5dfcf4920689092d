-- What each member's reporting plan asks for (indicator, frequency, from which period), with
-- the member's sector.
select
    reporting_plan.member_id,
    members.sector,
    reporting_plan.indicator,
    reporting_plan.frequency,
    reporting_plan.from_period
from reporting_plan
join members using (member_id)

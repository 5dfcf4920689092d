-- Rows flagged in $quarter (the quarter itself or one of its $months) by the last warehouse
-- check run at or before $as_of, counted per rule.
with last_run as (
    select max(run_at) as run_at
    from warehouse_flags
    where run_at <= $as_of
)

select
    warehouse_flags.severity,
    warehouse_flags.rule,
    count(*) as rows
from warehouse_flags
join last_run using (run_at)
where warehouse_flags.period = $quarter
    or warehouse_flags.period in (select unnest($months::varchar[]))
group by warehouse_flags.severity, warehouse_flags.rule
order by warehouse_flags.severity, warehouse_flags.rule

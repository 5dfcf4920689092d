-- The keys a warehouse check run flagged (never a value), from the registered frame
-- warehouse_flagged.
insert into warehouse_flags
select
    $run_at,
    suite,
    rule,
    severity,
    member_id,
    period,
    indicator
from warehouse_flagged

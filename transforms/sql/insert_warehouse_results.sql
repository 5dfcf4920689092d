-- A warehouse check run's count per rule (no submission: the rules span all of them), from
-- the registered frame warehouse_results.
insert into validation_results
select
    null,
    $run_at,
    suite,
    rule,
    severity,
    success,
    unexpected_count
from warehouse_results

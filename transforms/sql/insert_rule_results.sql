-- Each submission's count per rule of its suite, from the registered frame rule_results.
insert into validation_results
select
    submission_id,
    run_at,
    suite,
    rule,
    severity,
    success,
    unexpected_count
from rule_results

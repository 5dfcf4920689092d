-- The keys the warehouse check run at $run_at flagged, as run_warehouse_suite returns them.
select rule, severity, member_id, period, indicator
from warehouse_flags
where run_at = $run_at and suite = $suite

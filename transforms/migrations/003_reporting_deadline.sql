-- When a period of the reporting plan is due: `due_days` after it ends (one row, from
-- reference/reporting_deadline.csv). Completeness reads it beside the plan it belongs to.
create table reporting_deadline (
    due_days  integer not null
);

-- Per member, indicator and period among $periods loaded by $as_of: when it was first loaded,
-- and whether a later file reported it again (a revision).
select
    member_id,
    indicator,
    period,
    min(valid_from) as loaded_at,
    count(distinct submission_id) > 1 as is_revised
from observations
where valid_from <= $as_of
  and period in (select unnest($periods))
group by all

-- Every file received by $as_of, counted by its state.
select
    state,
    count(*) as files
from submissions
where received_at <= $as_of
group by state
order by state

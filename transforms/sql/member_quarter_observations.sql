-- Every member-quarter with how many observations it holds (open or closed), in member and
-- quarter order: a full refresh of the marts builds their member-quarters in slices of about
-- the same size.
select member_id, quarter, count(*) as observations
from observations
group by member_id, quarter
order by member_id, quarter

-- The member-quarters whose observations changed after submission $since: those the later
-- submissions added to, and those whose rows they closed (a correction closes rows of its own
-- member, period and indicator only, so the same member-quarters).
select distinct member_id, quarter
from observations
where submission_id > $since
order by member_id, quarter

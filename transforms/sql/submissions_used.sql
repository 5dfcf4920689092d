-- The submissions the assessment's figures are made of: those with observations current at
-- the cut-off (current_observations is built as of it).
select distinct
    submissions.submission_id,
    submissions.sha256,
    submissions.member_id
from current_observations
join submissions using (submission_id)
order by submissions.submission_id

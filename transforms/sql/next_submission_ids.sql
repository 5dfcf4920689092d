-- $count fresh submission ids, in ascending order: one per file of a load chunk.
select nextval('submission_ids') as submission_id
from range($count)
order by submission_id

-- The chunk's observations (the registered frame incoming), each row closed at the next report
-- of its member, period and indicator within the chunk (open if there is none).
insert into observations (
    submission_id, member_id, period, frequency, quarter, indicator, dimension, category,
    value, status, note, valid_from, valid_to
)
with reports as (
    select distinct member_id, period, indicator, submission_id, valid_from
    from incoming
),

closings as (
    select
        *,
        lead(valid_from) over (
            partition by member_id, period, indicator order by valid_from
        ) as valid_to
    from reports
)

select
    incoming.submission_id,
    incoming.member_id,
    incoming.period,
    incoming.frequency,
    incoming.quarter,
    incoming.indicator,
    incoming.dimension,
    incoming.category,
    incoming.value,
    incoming.status,
    incoming.note,
    incoming.valid_from,
    closings.valid_to
from incoming
join closings using (member_id, period, indicator, submission_id)

-- A chunk's files correct what was loaded before them: every open row of a member, period and
-- indicator the chunk (the registered frame incoming) reports again closes at its first report.
update observations set valid_to = firsts.valid_from
from (
    select
        member_id,
        period,
        indicator,
        min(valid_from) as valid_from
    from incoming
    group by member_id, period, indicator
) as firsts
where observations.valid_to is null
    and observations.member_id = firsts.member_id
    and observations.period = firsts.period
    and observations.indicator = firsts.indicator

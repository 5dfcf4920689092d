-- How many observations with a value of $quarter were current at $cut_off.
select count(*) as observations
from observations
where quarter = $quarter
    and value is not null
    and valid_from <= $cut_off
    and (valid_to is null or valid_to > $cut_off)

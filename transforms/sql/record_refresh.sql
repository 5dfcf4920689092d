-- Step $step now reflects every submission up to $last_submission_id, as of $as_of.
insert or replace into refresh_state values ($step, $as_of, $last_submission_id, $fingerprint)

-- Step $step no longer reflects anything: the next run of it starts from scratch.
delete from refresh_state where step = $step

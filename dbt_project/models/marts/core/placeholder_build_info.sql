-- Temporary: proves the build runs end to end until the real models land.
select
    1 as build_id,
    current_timestamp as built_at

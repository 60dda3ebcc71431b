{#-
    How fresh each source system's data is: the newest extract the loader has loaded (ledger
    status loaded, quarantined or replayed: the statuses staging treats as loaded), when it
    was loaded, and how many days it is behind the as-at date of the build.
-#}
with

ledger as (

    -- a warehouse whose loader has not run yet has no ledger: no freshness rows then
    select * from {{ relation_or_empty(
        source('ops', 'load_ledger'),
        "select null::text as system, null::date as extract_date, null::text as status,"
        ~ " null::timestamptz as updated_at, null::timestamptz as recorded_at where false"
    ) }}
    where status in ('loaded', 'quarantined', 'replayed')

),

per_system as (

    select
        system,
        max(extract_date) as last_extract_date,
        max(coalesce(updated_at, recorded_at)) as last_loaded_at
    from ledger
    group by system

)

select
    system::text as system,  -- noqa: RF04
    last_extract_date::date as last_extract_date,
    last_loaded_at::timestamptz as last_loaded_at,
    ({{ mart_as_at_date() }} - last_extract_date)::int as days_behind
from per_system

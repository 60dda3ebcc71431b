{{
    config(
        materialized='incremental',
        unique_key='visit_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} as f where not exists (select 1 from {{ ref('int_visits_unioned') }} as v where v.visit_id = f.visit_key){% endif %}",
        ],
    )
}}
{#-
    One row per visit to a child. Incremental: each run merges the visits whose source row
    arrived in an extract on or after the newest extract date already in the table, less
    var('visits_lookback_days', 7) days (a re-delivered correction of a recent night);
    council deltas carry their own extract date and the trust's frozen snapshot is loaded
    once. A post-hook removes visits no longer in the source (council D rows). A full
    refresh builds the same rows from scratch.
-#}
with

visits as (

    select * from {{ ref('int_visits_unioned') }} as unioned_visits
    {% if is_incremental() %}
        where unioned_visits.source_extract_date >= (
            select coalesce(max(built.source_extract_date), date '1900-01-01')
            from {{ this }} as built
        ) - {{ var('visits_lookback_days', 7) }}
    {% endif %}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        visits.visit_id::text as visit_key,
        pseudonyms.child_key::text as child_key,
        {{ pseudonymise('visits.worker_id', 'worker:') }}::text as worker_key,
        visits.visit_date::date as visit_date,
        visits.visit_type_code::text as visit_type_code,
        visits.is_seen_alone::boolean as is_seen_alone,
        visits.source_system::text as source_system,
        visits.source_extract_date::date as source_extract_date
    from visits
    inner join pseudonyms on visits.child_id = pseudonyms.child_id

)

select * from final

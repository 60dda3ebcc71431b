{#- One row per period of care, continuous across a system transfer. -#}
with

periods as (

    select * from {{ ref('int_care_periods_stitched') }}

),

children as (

    select * from {{ ref('int_children') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        periods.care_period_id::text as care_period_key,
        pseudonyms.child_key::text as child_key,
        periods.start_date::date as start_date,
        periods.end_date::date as end_date,
        periods.reason_ceased_code::text as reason_ceased_code,
        periods.first_legal_status_code::text as first_legal_status_code,
        periods.episode_count::int as episode_count,
        periods.placement_count::int as placement_count,
        (periods.end_date is null or periods.end_date > {{ mart_as_at_date() }})::boolean
            as is_open,
        {{ age_in_years('children.date_of_birth', 'periods.start_date') }}::int as age_at_start,
        periods.is_stitched::boolean as is_stitched,
        array_to_string(periods.source_systems, ',')::text as source_systems
    from periods
    inner join pseudonyms on periods.child_id = pseudonyms.child_id
    left join children on periods.child_id = children.child_id

)

select * from final

{#-
    Periods of care: one row per continuous period of being looked after, across systems
    (episodes grouped in int_cla_episodes_unioned). placement_count counts placements
    within the period (a technical transfer is not a new placement).
-#}
with

episodes as (

    select * from {{ ref('int_cla_episodes_unioned') }}

),

final as (

    select
        care_period_id,
        child_id,
        min(start_date) as start_date,
        (array_agg(end_date order by start_date desc, source_system desc, source_id desc))[1]
            as end_date,
        (
            array_agg(
                reason_ceased_code order by start_date desc, source_system desc, source_id desc
            )
        )[1]
            as reason_ceased_code,
        (array_agg(legal_status_code order by start_date, source_system, source_id))[1]
            as first_legal_status_code,
        count(*)::int as episode_count,
        count(distinct placement_id)::int as placement_count,
        count(distinct source_system) > 1 as is_stitched,
        array_agg(source_system || ':' || source_id order by start_date, source_system, source_id)
            as source_ids,
        array_agg(source_system order by start_date, source_system, source_id) as source_systems
    from episodes
    group by care_period_id, child_id

)

select * from final

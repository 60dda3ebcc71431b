{#-
    Placements: one row per placement (consecutive episodes in one placement: legal status
    changes do not move the child; nor does a technical transfer). Placement type, provider
    and postcode from the placement's first episode; carer from the council's placements.
-#}
with

episodes as (

    select * from {{ ref('int_cla_episodes_unioned') }}

),

final as (

    select
        placement_id,
        care_period_id,
        child_id,
        min(start_date) as start_date,
        (array_agg(end_date order by start_date desc, source_system desc, source_id desc))[1]
            as end_date,
        (array_agg(placement_type_code order by start_date, source_system, source_id))[1]
            as placement_type_code,
        (array_agg(placement_provider_code order by start_date, source_system, source_id))[1]
            as placement_provider_code,
        (array_agg(placement_postcode order by start_date, source_system, source_id))[1]
            as placement_postcode,
        (
            array_agg(carer_id order by start_date desc, source_system desc, source_id desc)
            filter (where carer_id is not null)
        )[1] as carer_id,
        count(*)::int as episode_count,
        count(distinct source_system) > 1 as is_stitched,
        array_agg(source_system || ':' || source_id order by start_date, source_system, source_id)
            as source_ids
    from episodes
    group by placement_id, care_period_id, child_id

)

select * from final

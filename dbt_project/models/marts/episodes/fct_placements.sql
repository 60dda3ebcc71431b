{#-
    One row per placement: consecutive looked-after episodes in the same placement (a change
    of legal status only, or a technical transfer, is not a new placement).
-#}
with

placements as (

    select * from {{ ref('int_placements_stitched') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        placements.placement_id::text as placement_key,
        placements.care_period_id::text as care_period_key,
        pseudonyms.child_key::text as child_key,
        placements.start_date::date as start_date,
        placements.end_date::date as end_date,
        placements.placement_type_code::text as placement_type_code,
        placements.placement_provider_code::text as placement_provider_code,
        split_part(btrim(placements.placement_postcode), ' ', 1)::text
            as placement_postcode_district,
        placements.carer_id::text as carer_key,
        placements.episode_count::int as episode_count,
        (placements.end_date is null or placements.end_date > {{ mart_as_at_date() }})::boolean
            as is_open,
        placements.is_stitched::boolean as is_stitched
    from placements
    inner join pseudonyms on placements.child_id = pseudonyms.child_id

)

select * from final

{#-
    One row per looked-after episode (903-like), both systems, with its period of care and
    placement. is_period_start / is_new_placement are false for the first episode in the new
    system after a technical transfer: the child neither started care nor moved.
    Placement postcode as its district only.
-#}
with

episodes as (

    select * from {{ ref('int_cla_episodes_unioned') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        episodes.episode_id::text as episode_key,
        pseudonyms.child_key::text as child_key,
        episodes.care_period_id::text as care_period_key,
        episodes.placement_id::text as placement_key,
        episodes.start_date::date as start_date,
        episodes.end_date::date as end_date,
        episodes.rne_code::text as rne_code,
        episodes.legal_status_code::text as legal_status_code,
        episodes.cin_code::text as cin_code,
        episodes.placement_type_code::text as placement_type_code,
        episodes.placement_provider_code::text as placement_provider_code,
        split_part(btrim(episodes.placement_postcode), ' ', 1)::text as placement_postcode_district,
        episodes.reason_ceased_code::text as reason_ceased_code,
        episodes.is_technical_closure::boolean as is_technical_closure,
        episodes.is_period_start::boolean as is_period_start,
        episodes.is_new_placement::boolean as is_new_placement,
        (episodes.end_date is null or episodes.end_date > {{ mart_as_at_date() }})::boolean
            as is_open,
        episodes.source_system::text as source_system
    from episodes
    inner join pseudonyms on episodes.child_id = pseudonyms.child_id

)

select * from final

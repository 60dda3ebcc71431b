{#- One row per missing / away from placement episode, with return home interviews. -#}
with

missing as (

    select * from {{ ref('int_missing_unioned') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        missing.missing_id::text as missing_key,
        pseudonyms.child_key::text as child_key,
        missing.start_date::date as start_date,
        missing.end_date::date as end_date,
        missing.missing_or_away::text as missing_or_away,
        missing.is_rhi_offered::boolean as is_rhi_offered,
        missing.is_rhi_accepted::boolean as is_rhi_accepted,
        missing.source_system::text as source_system
    from missing
    inner join pseudonyms on missing.child_id = pseudonyms.child_id

)

select * from final

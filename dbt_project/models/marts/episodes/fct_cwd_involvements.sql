{#- One row per involvement of the disabled children's service, continuous across transfers. -#}
with

involvements as (

    select * from {{ ref('int_cwd_involvements_stitched') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        involvements.cwd_involvement_id::text as cwd_involvement_key,
        pseudonyms.child_key::text as child_key,
        involvements.start_date::date as start_date,
        involvements.end_date::date as end_date,
        involvements.primary_disability_code::text as primary_disability_code,
        involvements.team_code::text as team_key,
        (involvements.end_date is null or involvements.end_date > {{ mart_as_at_date() }})::boolean
            as is_open,
        involvements.is_stitched::boolean as is_stitched,
        involvements.record_count::int as record_count,
        array_to_string(involvements.source_systems, ',')::text as source_systems
    from involvements
    inner join pseudonyms on involvements.child_id = pseudonyms.child_id

)

select * from final

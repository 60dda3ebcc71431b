{#-
    Case-level (schema case_level; case-level roles only, never BI): the full placement and
    home postcodes of each looked-after episode, which BI holds as districts only. The 903
    asks for both (PL_POST, HOME_POST): the validator derives the placement's local
    authority, location and distance from them.
-#}
with

episodes as (

    select * from {{ ref('int_cla_episodes_unioned') }}

),

final as (

    select
        episode_id::text as episode_key,
        {{ clean_code('placement_postcode') }} as placement_postcode,
        {{ clean_code('home_postcode') }} as home_postcode
    from episodes

)

select * from final

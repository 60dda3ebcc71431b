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
        nullif(upper(btrim(placement_postcode)), '')::text as placement_postcode,
        nullif(upper(btrim(home_postcode)), '')::text as home_postcode
    from episodes

)

select * from final

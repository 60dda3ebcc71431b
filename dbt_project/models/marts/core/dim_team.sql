{#- One row per team code seen in HR posts or in the case-management systems. -#}
with

codes as (

    select team_code from {{ ref('stg_hr__posts') }}
    union
    select team_code from {{ ref('int_referrals_stitched') }}
    union
    select team_code from {{ ref('int_allocations_stitched') }}
    union
    select team_code from {{ ref('int_cwd_involvements_stitched') }}
    union
    select team_code from {{ ref('int_assessments_unioned') }}
    union
    select team_code from {{ ref('int_transition_plans') }}
    union
    select team_code from {{ ref('int_workers') }}
    union
    select team_code from {{ ref('int_council__contacts') }}
    union
    select team_code from {{ ref('int_council__early_help') }}

),

posts as (

    select
        team_code,
        count(*) as post_count,
        count(*) filter (where is_social_worker_post) as social_worker_post_count
    from {{ ref('stg_hr__posts') }}
    group by team_code

),

final as (

    select
        codes.team_code::text as team_key,
        codes.team_code::text as team_code,
        (posts.team_code is not null)::boolean as is_hr_team,
        coalesce(posts.post_count, 0)::int as post_count,
        coalesce(posts.social_worker_post_count, 0)::int as social_worker_post_count
    from codes
    left join posts on codes.team_code = posts.team_code
    where codes.team_code is not null

)

select * from final

{#- One row per HR post (the establishment). -#}
with

posts as (

    select * from {{ ref('stg_hr__posts') }}

),

final as (

    select
        post_number::text as post_key,
        team_code::text as team_key,
        job_title::text as job_title,
        fte::numeric(6, 2) as fte,
        established_from::date as established_from,
        established_to::date as established_to,
        coalesce(is_social_worker_post, false)::boolean as is_social_worker_post,
        coalesce(is_case_holding, false)::boolean as is_case_holding
    from posts

)

select * from final

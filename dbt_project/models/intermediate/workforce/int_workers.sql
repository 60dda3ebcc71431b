{#-
    One worker id across the systems. The council and HR use employee numbers (E + 5
    digits); the trust used usernames, which HR's "Trust Username" links to the employee.
    worker_id = the employee number when known, else 'trust:' || username (a trust user HR
    does not know) or the council's id as given. One row per worker id seen in HR, in a
    trust or council allocation or visit, or as a foster carer's supervising worker.
-#}
with

staff as (

    select * from {{ ref('stg_hr__staff') }}

),

posts as (

    select * from {{ ref('stg_hr__posts') }}

),

staff_current as (

    {#- one row per employee (staging is one row per employee already; be safe) -#}
    select distinct on (employee_number) *
    from staff
    order by employee_number asc, start_date desc nulls last

),

source_worker_map as (

    select * from {{ ref('int_worker_source_map') }}

),

hr_workers as (

    select
        staff_current.employee_number as worker_id,
        staff_current.employee_number,
        staff_current.trust_username,
        staff_current.worker_name,
        staff_current.job_title,
        staff_current.post_number,
        posts.team_code,
        coalesce(posts.is_social_worker_post, false) as is_social_worker,
        coalesce(posts.is_case_holding, false) as is_case_holding_post,
        staff_current.fte,
        staff_current.start_date,
        staff_current.leaving_date,
        staff_current.leaving_reason,
        coalesce(staff_current.is_agency, false) as is_agency,
        staff_current.swe_registration,
        staff_current.qualified_on,
        true as is_known_to_hr
    from staff_current
    left join posts on staff_current.post_number = posts.post_number

),

unknown_workers as (

    select distinct
        source_worker_map.worker_id,
        null::text as employee_number,
        case
            when source_worker_map.source_system = 'trust' then source_worker_map.source_worker_id
        end
            as trust_username,
        null::text as worker_name,
        null::text as job_title,
        null::text as post_number,
        null::text as team_code,
        false as is_social_worker,
        false as is_case_holding_post,
        null::numeric as fte,
        null::date as start_date,
        null::date as leaving_date,
        null::text as leaving_reason,
        false as is_agency,
        null::text as swe_registration,
        null::date as qualified_on,
        false as is_known_to_hr
    from source_worker_map
    where not exists (
        select 1 from hr_workers
        where hr_workers.worker_id = source_worker_map.worker_id
    )

),

final as (

    select * from hr_workers
    union all
    select distinct on (worker_id) * from unknown_workers

)

select * from final

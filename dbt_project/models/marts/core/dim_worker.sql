{#-
    One row per worker (employee, agency worker, or a case-system user HR does not know).
    worker_key is pseudonymous (HMAC of the worker id: trust usernames are names); no names.
-#}
with

workers as (

    select * from {{ ref('int_workers') }}

),

final as (

    select
        {{ pseudonymise('workers.worker_id', 'worker:') }}::text as worker_key,
        workers.team_code::text as team_key,
        workers.job_title::text as job_title,
        workers.is_social_worker::boolean as is_social_worker,
        workers.is_case_holding_post::boolean as is_case_holding_post,
        workers.is_agency::boolean as is_agency,
        workers.fte::numeric(6, 2) as fte,
        workers.post_number::text as post_key,
        workers.start_date::date as start_date,
        workers.leaving_date::date as leaving_date,
        workers.leaving_reason::text as leaving_reason,
        (workers.qualified_on is not null or workers.swe_registration is not null)::boolean
            as is_qualified,
        workers.is_known_to_hr::boolean as is_known_to_hr
    from workers

)

select * from final

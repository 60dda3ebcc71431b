{{
    config(
        materialized='incremental',
        unique_key='post_number',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        meta={'rebuild_when_columns_change': true},
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} as kept where not exists (select 1 from {{ ref('stg_hr__posts') }} as p where p.post_number = kept.post_number){% endif %}",
        ],
    )
}}
{#-
    One row per HR post: a fingerprint of everything fct_post_days reads about the post, and
    when a build last saw it change (changed_at: the start of that dbt run).

    HR delivers a full snapshot, and a snapshot can change the past: a leaving date entered
    late, a post moved to another team (fct_post_days carries the post's current team on
    every day). fct_post_days therefore rebuilds, on an ordinary night, every day of the
    posts whose inputs changed since the mart BI has was published, and only the new days
    of the others: rows of a post whose inputs did not change cannot have changed, because
    the fact reads nothing else about a post (the calendar is fixed).

    The fingerprint covers the post's row (team, establishment dates, flags, FTE) and the
    staff rows that hold it (employee, FTE, agency, start and leaving dates): exactly what
    fct_post_days reads. changed_at as int_child_month_end_inputs's
    (macros/intermediate/fingerprint_changed_at.sql).
-#}
with

posts as (

    select * from {{ ref('stg_hr__posts') }}

),

staff as (

    select * from {{ ref('stg_hr__staff') }}
    where post_number is not null and start_date is not null

),

staff_rows as (

    select
        post_number,
        row(employee_number, fte, is_agency, start_date, leaving_date)::text as staff_row
    from staff

),

fingerprints as (

    select
        posts.post_number,
        md5(
            row(
                posts.team_code,
                posts.established_from,
                posts.established_to,
                posts.is_social_worker_post,
                posts.is_case_holding,
                posts.fte
            )::text
            || '|'
            || coalesce(
                string_agg(staff_rows.staff_row, '|' order by staff_rows.staff_row), ''
            )
        ) as inputs_hash
    from posts
    left join staff_rows on posts.post_number = staff_rows.post_number
    group by
        posts.post_number,
        posts.team_code,
        posts.established_from,
        posts.established_to,
        posts.is_social_worker_post,
        posts.is_case_holding,
        posts.fte

),

final as (

    {{ fingerprint_changed_at('post_number') }}

)

select * from final

{{
    config(
        materialized='incremental',
        unique_key=['post_key', 'date_day'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['date_day']}, {'columns': ['post_key', 'date_day'], 'unique': true}],
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} as built where built.date_day > {{ mart_as_at_date() }} or not exists (select 1 from {{ ref('int_post_day_inputs') }} as inputs where inputs.post_number = built.post_key) or built.post_key in (select inputs.post_number from {{ ref('int_post_day_inputs') }} as inputs where {{ changed_since_published('inputs.changed_at') }}){% endif %}",
        ],
    )
}}
{#-
    One row per HR post per day, from 2015-04-01 (or the post's first day) to the as-at
    date, on the days the post is established or held: who holds it, with what FTE. A member
    of staff holds their post from Start Date to Leaving Date inclusive; a post is vacant on
    a day when it is established and nobody (employee or agency) holds it. Vacancy rate
    (CSWW): sum(vacant_fte) / (sum(vacant_fte) + sum(filled_fte)) over social worker posts
    on a date; agency rate: sum(agency_fte) / sum(filled_fte). The post's team, flags and
    FTE are its current ones (HR keeps no history of them).

    Incremental: a nightly build starts from the published table and rebuilds every day of
    the posts whose inputs changed since it was published (int_post_day_inputs: HR can
    change the past, a leaving date entered late), and the new days of every post. The
    pre-hook first drops those posts' rows, the rows of posts no longer in HR, and the days
    after the as-at date (a rerun of an earlier night). A full refresh gives the same rows
    (tests/test_incremental_night.py; the bench checks it at scale).
-#}
-- depends_on: {{ ref('int_post_day_inputs') }}
with

{% if is_incremental() %}

    rebuild as (

        select inputs.post_number
        from {{ ref('int_post_day_inputs') }} as inputs
        where {{ changed_since_published('inputs.changed_at') }}

    ),

    built_until as (

        select coalesce(max(built.date_day), date '1900-01-01') as date_day
        from {{ this }} as built

    ),

{% endif %}

posts as (

    select * from {{ ref('stg_hr__posts') }}

),

staff as (

    select * from {{ ref('stg_hr__staff') }}
    where post_number is not null and start_date is not null

),

post_ranges as (

    select
        posts.post_number,
        greatest(
            date '2015-04-01',
            least(posts.established_from, min(staff.start_date))
        ) as first_day,
        least(
            {{ mart_as_at_date() }},
            greatest(
                coalesce(posts.established_to, date '9999-12-31'),
                max(coalesce(staff.leaving_date, date '9999-12-31'))
            )
        ) as last_day
    from posts
    left join staff on posts.post_number = staff.post_number
    group by posts.post_number, posts.established_from, posts.established_to

),

days as (

    select
        post_ranges.post_number,
        dim_date.date_day
    from post_ranges
    inner join {{ ref('dim_date') }} as dim_date
        on dim_date.date_day between post_ranges.first_day and post_ranges.last_day
    {% if is_incremental() %}
        where
            post_ranges.post_number in (select rebuild.post_number from rebuild)
            or dim_date.date_day > (select built_until.date_day from built_until)
    {% endif %}

),

holders as (

    select
        days.post_number,
        days.date_day,
        sum(staff.fte) as filled_fte,
        sum(case when staff.is_agency then staff.fte else 0 end) as agency_fte,
        count(staff.employee_number)::int as holder_count
    from days
    inner join staff
        on
            days.post_number = staff.post_number
            and days.date_day >= staff.start_date
            and (staff.leaving_date is null or days.date_day <= staff.leaving_date)
    group by days.post_number, days.date_day

),

post_days as (

    select
        days.post_number,
        days.date_day,
        posts.team_code,
        coalesce(
            days.date_day >= posts.established_from
            and (posts.established_to is null or days.date_day <= posts.established_to),
            false
        ) as is_established,
        coalesce(posts.is_social_worker_post, false) as is_social_worker_post,
        coalesce(posts.is_case_holding, false) as is_case_holding,
        coalesce(posts.fte, 0) as post_fte,
        coalesce(holders.filled_fte, 0) as filled_fte,
        coalesce(holders.agency_fte, 0) as agency_fte,
        coalesce(holders.holder_count, 0) as holder_count
    from days
    inner join posts on days.post_number = posts.post_number
    left join holders
        on days.post_number = holders.post_number and days.date_day = holders.date_day

),

vacancies as (

    select
        *,
        is_established and holder_count = 0 as is_vacant,
        case when is_established and holder_count = 0 then post_fte else 0 end as vacant_fte
    from post_days

),

final as (

    select
        post_number::text as post_key,
        date_day::date as date_day,
        team_code::text as team_key,
        is_established::boolean as is_established,
        is_social_worker_post::boolean as is_social_worker_post,
        is_case_holding::boolean as is_case_holding,
        post_fte::numeric(6, 2) as fte,
        filled_fte::numeric(6, 2) as filled_fte,
        agency_fte::numeric(6, 2) as agency_fte,
        vacant_fte::numeric(6, 2) as vacant_fte,
        is_vacant::boolean as is_vacant,
        holder_count::int as holder_count
    from vacancies

)

select * from final

{{
    config(
        materialized='incremental',
        unique_key=['post_key', 'date_day'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['date_day']}, {'columns': ['post_key', 'date_day'], 'unique': true}],
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} as built where built.date_day > {{ mart_as_at_date() }}{% endif %}",
        ],
    )
}}
{#-
    One row per HR post per day, 2015-04-01 to the as-at date (days the post is established
    or held). Vacancy rate (CSWW): sum(vacant_fte) / (sum(vacant_fte) + sum(filled_fte)) over
    social worker posts on a date; agency rate: sum(agency_fte) / sum(filled_fte).

    Incremental: HR is a full snapshot and can change the past (a leaving date entered late),
    so each run rebuilds the last var('post_days_lookback_days', 62) days before the newest
    day already built, and everything after it. A pre-hook first drops the days after the
    as-at date (a rerun of an earlier night starts from a mart published for a later one). A full refresh gives the same rows unless
    HR changed something older than the look-back window (run --full-refresh after an HR
    correction; the weekly full refresh catches the rest).
-#}
with

posts_daily as (

    select * from {{ ref('int_posts_daily') }} as daily
    {% if is_incremental() %}
        where daily.date_day >= (
            select coalesce(max(built.date_day), date '2015-04-01') from {{ this }} as built
        ) - {{ var('post_days_lookback_days', 62) }}
    {% endif %}

),

final as (

    select
        posts_daily.post_number::text as post_key,
        posts_daily.date_day::date as date_day,
        posts_daily.team_code::text as team_key,
        posts_daily.is_established::boolean as is_established,
        posts_daily.is_social_worker_post::boolean as is_social_worker_post,
        posts_daily.is_case_holding::boolean as is_case_holding,
        posts_daily.post_fte::numeric(6, 2) as fte,
        posts_daily.filled_fte::numeric(6, 2) as filled_fte,
        posts_daily.agency_fte::numeric(6, 2) as agency_fte,
        posts_daily.vacant_fte::numeric(6, 2) as vacant_fte,
        posts_daily.is_vacant::boolean as is_vacant,
        posts_daily.holder_count::int as holder_count
    from posts_daily

)

select * from final

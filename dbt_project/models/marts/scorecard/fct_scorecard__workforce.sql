{#-
    Workforce measures as at each month end (CSWW definitions), percentages 0-100.

      sw_vacancy_rate  vacant FTE / (vacant FTE + filled FTE) of social worker posts on the
                       month end (filled includes agency workers in post)
      agency_rate      agency FTE / filled FTE of social worker posts on the month end
      turnover_rate    FTE of (non-agency) social workers who left in the 12 months to the
                       month end / FTE of (non-agency) social workers in post on the month end
                       (started on or before it, not left by it)
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

posts as (

    select
        month_ends.month_end,
        coalesce(sum(post_days.vacant_fte), 0) as vacant_fte,
        coalesce(sum(post_days.filled_fte), 0) as filled_fte,
        coalesce(sum(post_days.agency_fte), 0) as agency_fte
    from month_ends
    left join {{ ref('fct_post_days') }} as post_days
        on
            month_ends.month_end = post_days.date_day
            and post_days.is_social_worker_post
    group by month_ends.month_end

),

workers as (

    select
        start_date,
        leaving_date,
        coalesce(fte, 0) as fte
    from {{ ref('dim_worker') }}
    where is_social_worker and not coalesce(is_agency, false)

),

turnover as (

    select
        month_ends.month_end,
        coalesce(
            sum(workers.fte) filter (
                where
                workers.leaving_date <= month_ends.month_end
                and workers.leaving_date > (month_ends.month_end - interval '12 months')::date
            ),
            0
        ) as leaver_fte,
        coalesce(
            sum(workers.fte) filter (
                where
                workers.start_date <= month_ends.month_end
                and (workers.leaving_date is null or workers.leaving_date > month_ends.month_end)
            ),
            0
        ) as in_post_fte
    from month_ends
    left join workers
        on month_ends.month_end >= workers.start_date
    group by month_ends.month_end

),

final as (

    select
        'sw_vacancy_rate' as measure_id,
        month_end,
        vacant_fte as numerator,
        vacant_fte + filled_fte as denominator
    from posts
    union all
    select
        'agency_rate' as measure_id,
        month_end,
        agency_fte as numerator,
        filled_fte as denominator
    from posts
    union all
    select
        'turnover_rate' as measure_id,
        month_end,
        leaver_fte as numerator,
        in_post_fte as denominator
    from turnover

)

select
    measure_id::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    'ratio'::text as value_kind,
    round(100.0 * numerator / nullif(denominator, 0), 1)::numeric as value  -- noqa: RF04
from final

{#-
    CP plan measures, counted in the month of the event (percentages 0-100). fct_cp_plans is
    stitched: a plan closed by the 2022 system transfer (technical closure) and reopened in
    the other system is one plan, from the first start to the last end, so it starts once,
    ends once, and its length is the whole plan.

      repeat_cp_plans     plans starting in the period (denominator) that are the child's
                          second or subsequent plan ever (numerator, is_repeat_plan)
      repeat_cp_plans_2y  ... second or subsequent plan within 2 years of the previous one
                          ending (is_repeat_within_2_years)
      long_cp_plans       plans ending in the period (denominator) that lasted 2 years or more
                          (numerator, is_ended_after_2_years_or_more)
-#}
with

month_ends as (

    select
        date_day as month_end,
        month_start
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

plans as (

    select * from {{ ref('fct_cp_plans') }}

),

starts as (

    select
        month_ends.month_end,
        count(plans.cp_plan_key) as plans_started,
        count(*) filter (where plans.is_repeat_plan) as repeat_plans,
        count(*) filter (where plans.is_repeat_within_2_years) as repeat_plans_2y
    from month_ends
    left join plans
        on plans.start_date between month_ends.month_start and month_ends.month_end
    group by month_ends.month_end

),

ends as (

    select
        month_ends.month_end,
        count(plans.cp_plan_key) as plans_ended,
        count(*) filter (where plans.is_ended_after_2_years_or_more) as long_plans
    from month_ends
    left join plans
        on plans.end_date between month_ends.month_start and month_ends.month_end
    group by month_ends.month_end

),

final as (

    select
        'repeat_cp_plans' as measure_id,
        month_end,
        repeat_plans as numerator,
        plans_started as denominator
    from starts
    union all
    select
        'repeat_cp_plans_2y' as measure_id,
        month_end,
        repeat_plans_2y as numerator,
        plans_started as denominator
    from starts
    union all
    select
        'long_cp_plans' as measure_id,
        month_end,
        long_plans as numerator,
        plans_ended as denominator
    from ends

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

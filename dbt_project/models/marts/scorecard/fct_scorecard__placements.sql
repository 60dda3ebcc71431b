{#-
    Placement stability, as at each month end (percentages 0-100).

      placement_3plus      looked-after children (denominator) with 3 or more placements in
                           the 12 months to the month end (numerator). Placements are stitched
                           across the 2022 transfer: the same placement is one placement.
      placement_long_term  looked-after children under 16 looked after for 2.5 years or more
                           (care period started on or before the month end less 30 months)
                           (denominator) who have been in the same placement for 2 years or
                           more (numerator).
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

children as (

    select * from {{ ref('fct_child_month_end') }}

),

counted as (

    select
        month_ends.month_end,
        count(children.child_key) filter (where children.is_cla) as placement_3plus__den,
        count(children.child_key) filter (
            where (children.is_cla) and (coalesce(children.placement_count_12m, 0) >= 3)
        ) as placement_3plus__num,
        count(children.child_key) filter (
            where children.is_cla
            and children.age_years < 16
            and children.care_period_start_date
            <= (children.month_end_date - interval '30 months')::date
        ) as placement_long_term__den,
        count(children.child_key) filter (
            where (
                children.is_cla
                and children.age_years < 16
                and children.care_period_start_date
                <= (children.month_end_date - interval '30 months')::date
            )
            and (
                children.current_placement_start_date
                <= (children.month_end_date - interval '2 years')::date
            )
        ) as placement_long_term__num
    from month_ends
    left join children
        on month_ends.month_end = children.month_end_date
    group by month_ends.month_end

),

final as (

    select
        'placement_3plus' as measure_id,
        month_end,
        placement_3plus__num as numerator,
        placement_3plus__den as denominator,
        round(100.0 * placement_3plus__num / nullif(placement_3plus__den, 0), 1)
            as value,  -- noqa: RF04
        'ratio' as value_kind
    from counted
    union all
    select
        'placement_long_term' as measure_id,
        month_end,
        placement_long_term__num as numerator,
        placement_long_term__den as denominator,
        round(100.0 * placement_long_term__num / nullif(placement_long_term__den, 0), 1)
            as value,  -- noqa: RF04
        'ratio' as value_kind
    from counted

)

select
    measure_id::text as measure_id,
    'all'::text as breakdown,
    month_end::date as month_end,
    numerator::numeric as numerator,
    denominator::numeric as denominator,
    value::numeric as value,  -- noqa: RF04
    value_kind::text as value_kind
from final

{#-
    Social worker changes, as at each month end: children with an open case (denominator)
    with 3 or more different allocated social workers in the 12 months to the month end
    (numerator; fct_child_month_end.social_worker_count_12m counts distinct workers of
    continuous allocations, so a technical transfer is not a change). Percentage 0-100.
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
        count(children.child_key) filter (where children.is_open_case) as sw_changes_3plus__den,
        count(children.child_key) filter (
            where (children.is_open_case) and (coalesce(children.social_worker_count_12m, 0) >= 3)
        ) as sw_changes_3plus__num
    from month_ends
    left join children
        on month_ends.month_end = children.month_end_date
    group by month_ends.month_end

),

final as (

    select
        'sw_changes_3plus' as measure_id,
        month_end,
        sw_changes_3plus__num as numerator,
        sw_changes_3plus__den as denominator,
        'ratio' as value_kind,
        round(100.0 * sw_changes_3plus__num / nullif(sw_changes_3plus__den, 0), 1)
            as value  -- noqa: RF04
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

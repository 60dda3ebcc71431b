{#-
    Disabled children and transition plans, as at each month end.

      disabled_children         children open to the disabled children's service (count;
                                numerator = value, denominator = the same)
      disabled_children_hidden  of those (denominator), with a hidden disability (AUT, LD, BEH,
                                COMM or the council's HIDDEN flag) recorded (numerator), 0-100
      transition_plans_missing  young people aged 14-25 on the month end, open to the disabled
                                children's service or with an active EHCP (denominator), with
                                no transition plan agreed on or before it (numerator = value;
                                target 0)
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
        count(children.child_key) filter (where children.is_cwd) as disabled_children__den,
        count(children.child_key) filter (where (children.is_cwd) and (true))
            as disabled_children__num,
        count(children.child_key) filter (where children.is_cwd) as disabled_children_hidden__den,
        count(children.child_key) filter (
            where (children.is_cwd) and (coalesce(children.has_hidden_disability, false))
        ) as disabled_children_hidden__num,
        count(children.child_key) filter (
            where children.age_years between 14 and 25
            and (children.is_cwd or children.has_active_ehcp)
        ) as transition_plans_missing__den,
        count(children.child_key) filter (
            where (
                children.age_years between 14 and 25
                and (children.is_cwd or children.has_active_ehcp)
            )
            and (not coalesce(children.has_agreed_transition_plan, false))
        ) as transition_plans_missing__num
    from month_ends
    left join children
        on month_ends.month_end = children.month_end_date
    group by month_ends.month_end

),

final as (

    select
        'disabled_children' as measure_id,
        month_end,
        disabled_children__num as numerator,
        disabled_children__den as denominator,
        disabled_children__num::numeric as value,  -- noqa: RF04
        'count' as value_kind
    from counted
    union all
    select
        'disabled_children_hidden' as measure_id,
        month_end,
        disabled_children_hidden__num as numerator,
        disabled_children_hidden__den as denominator,
        round(100.0 * disabled_children_hidden__num / nullif(disabled_children_hidden__den, 0), 1)
            as value,  -- noqa: RF04
        'ratio' as value_kind
    from counted
    union all
    select
        'transition_plans_missing' as measure_id,
        month_end,
        transition_plans_missing__num as numerator,
        transition_plans_missing__den as denominator,
        transition_plans_missing__num::numeric as value,  -- noqa: RF04
        'count' as value_kind
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

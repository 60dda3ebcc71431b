{#-
    fct_child_month_end agrees with the facts it summarises: on each month end, the
    children flagged is_cp are exactly the children with a CP plan open in fct_cp_plans.
-#}
with

month_ends as (

    select distinct month_end_date from {{ ref('fct_child_month_end') }}

),

from_facts as (

    select distinct
        plan_records.child_key,
        month_ends.month_end_date
    from {{ ref('fct_cp_plans') }} as plan_records
    inner join month_ends
        on
            plan_records.start_date <= month_ends.month_end_date
            and (plan_records.end_date is null or plan_records.end_date > month_ends.month_end_date)

),

flagged as (

    select
        child_key,
        month_end_date
    from {{ ref('fct_child_month_end') }}
    where is_cp

)

select
    coalesce(from_facts.child_key, flagged.child_key) as child_key,
    coalesce(from_facts.month_end_date, flagged.month_end_date) as month_end_date
from from_facts
full outer join flagged
    on
        from_facts.child_key = flagged.child_key
        and from_facts.month_end_date = flagged.month_end_date
where from_facts.child_key is null or flagged.child_key is null

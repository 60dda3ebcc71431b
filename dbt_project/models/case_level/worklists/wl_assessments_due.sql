{#-
    Worklist: single assessments not yet authorised whose 45-working-day due date is within 5
    working days of the as-at date, or past. working_days_overdue = working days from the due
    date to the as-at date (negative: working days left). Overdue first.
-#}
with

as_at as (

    select
        date_day as as_at_date,
        working_day_number
    from {{ ref('dim_date') }}
    where date_day = {{ mart_as_at_date() }}

),

calendar as (

    select
        date_day,
        working_day_number
    from {{ ref('dim_date') }}

),

assessments as (

    select * from {{ ref('fct_assessments') }}
    where authorised_date is null and due_date is not null

),

final as (

    select
        assessments.child_key,
        case_names.forename,
        case_names.surname,
        assessments.team_key,
        assessments.start_date,
        assessments.due_date,
        case
            when assessments.due_date < as_at.as_at_date then 'Assessment overdue'
            else 'Assessment due within 5 working days'
        end as reason,
        as_at.working_day_number - due.working_day_number as working_days_overdue
    from assessments
    cross join as_at
    inner join calendar as due
        on assessments.due_date = due.date_day
    left join {{ ref('case_children') }} as case_names
        on assessments.child_key = case_names.child_key
    where
        assessments.start_date <= as_at.as_at_date
        and due.working_day_number - as_at.working_day_number <= 5

)

select
    child_key::text as child_key,
    forename::text as forename,
    surname::text as surname,
    team_key::text as team_key,
    reason::text as reason,
    start_date::date as start_date,
    due_date::date as due_date,
    working_days_overdue::int as working_days_overdue,
    (row_number() over (order by due_date, child_key))::int as priority
from final

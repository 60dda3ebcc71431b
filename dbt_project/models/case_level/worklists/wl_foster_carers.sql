{#-
    Worklist: approved foster carers (on the as-at date) with a missing or expired check: DBS
    older than 3 years or missing, no medical, references incomplete, annual review not in
    the last 12 months; or TSD standards not completed within 12 months of approval. One
    row per carer and reason. child_key is NULL (a carer, not a child): carer_key and the
    household name identify the carer. due_date = when the check expired or was due.
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

carers as (

    select
        carers.carer_id::text as carer_key,
        carers.household,
        carers.approved_on,
        carers.dbs_checked_on,
        carers.medical_on,
        carers.is_references_complete,
        carers.last_review_on,
        carers.tsd_completed_on,
        as_at.as_at_date
    from {{ ref('int_foster_carers') }} as carers
    cross join as_at
    where
        carers.approved_on <= as_at.as_at_date
        and (carers.deregistered_on is null or carers.deregistered_on > as_at.as_at_date)

),

issues as (

    select
        carers.carer_key,
        carers.household,
        case
            when carers.dbs_checked_on is null then 'DBS check missing'
            else 'DBS check expired'
        end as reason,
        coalesce(
            (carers.dbs_checked_on + interval '3 years')::date, carers.approved_on
        ) as due_date
    from carers
    where
        carers.dbs_checked_on is null
        or carers.dbs_checked_on <= (carers.as_at_date - interval '3 years')::date
    union all
    select
        carers.carer_key,
        carers.household,
        'Medical missing' as reason,
        carers.approved_on as due_date
    from carers
    where carers.medical_on is null
    union all
    select
        carers.carer_key,
        carers.household,
        'References incomplete' as reason,
        carers.approved_on as due_date
    from carers
    where not coalesce(carers.is_references_complete, false)
    union all
    select
        carers.carer_key,
        carers.household,
        'Annual review overdue' as reason,
        (coalesce(carers.last_review_on, carers.approved_on) + interval '12 months')::date
            as due_date
    from carers
    where
        carers.last_review_on is null
        or carers.last_review_on <= (carers.as_at_date - interval '12 months')::date
    union all
    select
        carers.carer_key,
        carers.household,
        'TSD standards not completed in time' as reason,
        (carers.approved_on + interval '12 months')::date as due_date
    from carers
    where
        carers.approved_on <= (carers.as_at_date - interval '12 months')::date
        and (
            carers.tsd_completed_on is null
            or carers.tsd_completed_on > (carers.approved_on + interval '12 months')::date
        )

)

select
    null::text as child_key,
    issues.carer_key::text as carer_key,
    issues.household::text as household,
    null::text as team_key,
    issues.reason::text as reason,
    issues.due_date::date as due_date,
    greatest(as_at.working_day_number - due.working_day_number, 0)::int as working_days_overdue,
    (row_number() over (order by issues.due_date, issues.carer_key, issues.reason))::int
        as priority
from issues
cross join as_at
left join calendar as due
    on issues.due_date = due.date_day

{#-
    One row per single assessment. working_days_to_authorise counts working days from start
    to authorisation (dim_date.working_day_number); the DfE timescale is 45 working days.
    due_date: the 45th working day after the start.
-#}
with

assessments as (

    select * from {{ ref('int_assessments_unioned') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

due as (

    select
        working_day_number,
        min(date_day) as date_day
    from dates
    group by working_day_number

),

final as (

    select
        assessments.assessment_id::text as assessment_key,
        pseudonyms.child_key::text as child_key,
        assessments.referral_id::text as referral_key,
        assessments.start_date::date as start_date,
        assessments.authorised_date::date as authorised_date,
        due.date_day::date as due_date,
        assessments.team_code::text as team_key,
        assessments.source_system::text as source_system,
        greatest(authorised_day.working_day_number - start_day.working_day_number, 0)::int
            as working_days_to_authorise,
        (authorised_day.working_day_number - start_day.working_day_number <= 45)::boolean
            as is_authorised_within_45_working_days,
        array_to_string(assessments.factor_codes, ';')::text as factor_codes
    from assessments
    inner join pseudonyms on assessments.child_id = pseudonyms.child_id
    left join dates as start_day on assessments.start_date = start_day.date_day
    left join dates as authorised_day on assessments.authorised_date = authorised_day.date_day
    left join due on start_day.working_day_number + 45 = due.working_day_number

)

select * from final

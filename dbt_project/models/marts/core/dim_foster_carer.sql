{#-
    One row per foster carer household (no household names), with the checks the scorecard
    needs as at the build date: DBS within 3 years, medical, references, annual review within
    12 months; TSD standards completed within 12 months of approval.
-#}
with

carers as (

    select * from {{ ref('int_foster_carers') }}

),

final as (

    select
        carers.carer_id::text as carer_key,
        carers.approved_on::date as approved_on,
        carers.deregistered_on::date as deregistered_on,
        (
            carers.approved_on <= {{ mart_as_at_date() }}
            and (carers.deregistered_on is null or carers.deregistered_on > {{ mart_as_at_date() }})
        )::boolean as is_approved,
        carers.places::int as places,
        carers.dbs_checked_on::date as dbs_checked_on,
        carers.medical_on::date as medical_on,
        carers.is_references_complete::boolean as is_references_complete,
        carers.last_review_on::date as last_review_on,
        carers.tsd_completed_on::date as tsd_completed_on,
        {{ pseudonymise('carers.supervising_worker_id', 'worker:') }}::text
            as supervising_worker_key,
        carers.training_course_count::int as training_course_count,
        coalesce(
            carers.dbs_checked_on > ({{ mart_as_at_date() }} - interval '3 years')::date, false
        )::boolean
            as is_dbs_in_date,
        coalesce(
            carers.last_review_on > ({{ mart_as_at_date() }} - interval '12 months')::date, false
        )::boolean as is_review_in_date,
        (
            coalesce(
                carers.dbs_checked_on > ({{ mart_as_at_date() }} - interval '3 years')::date, false
            )
            and carers.medical_on is not null
            and carers.is_references_complete
            and coalesce(
                carers.last_review_on > ({{ mart_as_at_date() }} - interval '12 months')::date,
                false
            )
        )::boolean as is_record_complete,
        (carers.approved_on <= ({{ mart_as_at_date() }} - interval '12 months')::date)::boolean
            as is_approved_12_months_or_more,
        coalesce(
            carers.tsd_completed_on <= (carers.approved_on + interval '12 months')::date, false
        )::boolean as is_tsd_completed_in_time
    from carers

)

select * from final

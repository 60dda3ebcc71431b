{#-
    Foster carer measures as at each month end (percentages 0-100), from dim_foster_carer's
    dates (the same rules as its is_record_complete / is_tsd_completed_in_time flags, applied
    on each month end instead of the build date).

      foster_carer_records   approved carers on the month end (approved on or before it, not
                             deregistered by it) (denominator) with a DBS check in the 3 years
                             to it, a medical, references complete and an annual review in the
                             12 months to it (numerator)
      foster_carer_training  carers approved on the month end and for 12 months or more
                             (denominator) who completed the TSD standards within 12 months of
                             approval (numerator)

    Each month end reads the carer's record as it was known then (int_foster_carer_versions,
    from the council's delta history): a DBS check renewed since counts with its old date in
    the months before the renewal, not as missing.
-#}
with

month_ends as (

    select date_day as month_end
    from {{ ref('dim_date') }}
    where is_month_end and date_day between date '2015-04-30' and {{ mart_as_at_date() }}

),

versions as (

    select * from {{ ref('int_foster_carer_versions') }}

),

carers as (

    {#- the version known on each month end -#}
    select
        versions.*,
        month_ends.month_end as known_on
    from month_ends
    inner join versions
        on
            month_ends.month_end >= versions.valid_from
            and (versions.valid_to is null or month_ends.month_end < versions.valid_to)

),

approved as (

    select
        month_ends.month_end,
        carers.carer_key,
        (
            carers.dbs_checked_on <= month_ends.month_end
            and carers.dbs_checked_on > (month_ends.month_end - interval '3 years')::date
            and carers.medical_on <= month_ends.month_end
            and carers.is_references_complete
            and carers.last_review_on <= month_ends.month_end
            and carers.last_review_on > (month_ends.month_end - interval '12 months')::date
        ) as is_record_complete,
        (carers.approved_on <= (month_ends.month_end - interval '12 months')::date)
            as is_approved_12_months_or_more,
        (carers.tsd_completed_on <= (carers.approved_on + interval '12 months')::date)
            as is_tsd_completed_in_time
    from month_ends
    inner join carers
        on
            month_ends.month_end = carers.known_on
            and month_ends.month_end >= carers.approved_on
            and (carers.deregistered_on is null or month_ends.month_end < carers.deregistered_on)

),

counted as (

    select
        month_ends.month_end,
        count(approved.carer_key) as carers,
        count(*) filter (where approved.is_record_complete) as complete_records,
        count(*) filter (where approved.is_approved_12_months_or_more) as carers_12_months,
        count(*) filter (
            where approved.is_approved_12_months_or_more and approved.is_tsd_completed_in_time
        ) as tsd_in_time
    from month_ends
    left join approved
        on month_ends.month_end = approved.month_end
    group by month_ends.month_end

),

final as (

    select
        'foster_carer_records' as measure_id,
        month_end,
        complete_records as numerator,
        carers as denominator
    from counted
    union all
    select
        'foster_carer_training' as measure_id,
        month_end,
        tsd_in_time as numerator,
        carers_12_months as denominator
    from counted

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

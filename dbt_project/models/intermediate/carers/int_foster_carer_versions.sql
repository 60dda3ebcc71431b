{#-
    Foster carer records as they were known over time: one row per version that was not a
    delete, valid from the night it was delivered until the next version (valid_to NULL:
    current). carer_key is the carer's key in dim_foster_carer.
-#}
with

versions as (

    select * from {{ ref('stg_council__foster_carers_history') }}

),

final as (

    select
        version_number,
        valid_from,
        valid_to,
        approved_on,
        deregistered_on,
        dbs_checked_on,
        medical_on,
        last_review_on,
        tsd_completed_on,
        carer_id::text as carer_key,
        coalesce(is_references_complete, false) as is_references_complete
    from versions
    where not is_deleted and valid_from is distinct from valid_to

)

select * from final

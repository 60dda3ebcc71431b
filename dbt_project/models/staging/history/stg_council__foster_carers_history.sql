{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['carer_id', 'version_number'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('foster_carers', 'carer_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#-
    Every version of every council foster carer record as delivered night by night (checks
    renewed, reviews held, deregistration), typed like stg_council__foster_carers without the
    household name. The scorecard's foster carer measures read the version known at each month
    end (int_foster_carer_versions), not today's record for every past month.
-#}
with

versions as (

    {{ council_delta_versions(
        source('council', 'foster_carers'), ['carer_id'], table_name='foster_carers', incremental_key='carer_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        carer_id,
        version_number,
        valid_from,
        valid_to,
        is_deleted,
        {{ parse_date('approved_on', 'yyyy-mm-dd') }} as approved_on,
        {{ parse_date('deregistered_on', 'yyyy-mm-dd') }} as deregistered_on,
        {{ parse_date('dbs_checked_on', 'yyyy-mm-dd') }} as dbs_checked_on,
        {{ parse_date('medical_on', 'yyyy-mm-dd') }} as medical_on,
        {{ parse_boolean('references_complete') }} as is_references_complete,
        {{ parse_date('last_review_on', 'yyyy-mm-dd') }} as last_review_on,
        {{ parse_date('tsd_completed_on', 'yyyy-mm-dd') }} as tsd_completed_on,
        _extract_date,
        _batch_id
    from versions

)

select * from final

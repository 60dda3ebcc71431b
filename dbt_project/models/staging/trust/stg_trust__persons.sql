{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'persons') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('trust', 'persons'), 'trust', 'persons', only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        person_id,
        {{ nhs_number_clean('nhs_number') }} as nhs_number,
        {{ nhs_number_is_valid('nhs_number') }} as nhs_number_raw_valid,
        {{ clean_code('upn') }} as upn,
        {{ clean_text('forename') }} as forename,
        {{ clean_text('surname') }} as surname,
        {{ parse_date('dob', 'dd/mm/yyyy') }} as date_of_birth,
        {{ clean_code('gender') }} as gender_code,
        {{ ethnicity_code('ethnicity') }} as ethnicity_code,
        {{ clean_code('postcode') }} as postcode,
        {{ parse_date('date_of_death', 'dd/mm/yyyy') }} as date_of_death,
        {{ parse_timestamp('updated_at', 'dd/mm/yyyy') }} as updated_at,
        _extract_date
    from source

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['person_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('people', 'person_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'people'), ['person_id'], table_name='people', incremental_key='person_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        person_id,
        {{ nhs_number_clean('nhs_no') }} as nhs_number,
        {{ nhs_number_is_valid('nhs_no') }} as nhs_number_raw_valid,
        {{ clean_code('upn') }} as upn,
        {{ clean_text('first_name') }} as forename,
        {{ clean_text('last_name') }} as surname,
        {{ parse_date('date_of_birth', 'yyyy-mm-dd') }} as date_of_birth,
        case {{ clean_code('sex') }}
            when 'M' then '1'
            when 'F' then '2'
            when 'U' then '0'
        end as gender_code,
        {{ ethnicity_code('ethnicity') }} as ethnicity_code,
        {{ clean_code('postcode') }} as postcode,
        {{ clean_code('former_trust_id') }} as former_trust_id,
        {{ parse_date('date_of_death', 'yyyy-mm-dd') }} as date_of_death,
        {{ parse_timestamp('last_modified', 'yyyy-mm-dd') }} as last_modified,
        _extract_date
    from source

)

select * from final

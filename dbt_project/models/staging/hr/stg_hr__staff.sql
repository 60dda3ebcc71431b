{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('hr', 'staff') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('hr', 'staff'), 'hr', 'staff', only_when_changed=true
    ) }}

),

final as (

    select
        'hr'::text as source_system,
        {{ clean_code('employee_number') }} as employee_number,
        {{ clean_text('trust_username') }} as trust_username,
        {{ clean_text('name') }} as worker_name,
        {{ clean_text('job_title') }} as job_title,
        {{ clean_code('post_number') }} as post_number,
        {{ parse_numeric('fte') }} as fte,
        {{ parse_date('start_date', ['yyyy-mm-dd', 'dd/mm/yyyy']) }} as start_date,
        {{ parse_date('leaving_date', ['yyyy-mm-dd', 'dd/mm/yyyy']) }} as leaving_date,
        {{ clean_text('leaving_reason') }} as leaving_reason,
        {{ parse_boolean('agency') }} as is_agency,
        {{ clean_code('swe_registration') }} as swe_registration,
        {{ parse_date('qualified_on', ['yyyy-mm-dd', 'dd/mm/yyyy']) }} as qualified_on,
        _extract_date
    from source

)

select * from final

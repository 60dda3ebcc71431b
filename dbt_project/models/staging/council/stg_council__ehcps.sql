{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['ehcp_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('ehcp', 'ehcp_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'ehcp'), ['ehcp_id'], table_name='ehcp', incremental_key='ehcp_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        ehcp_id,
        person_id,
        {{ parse_date('requested_on', 'yyyy-mm-dd') }} as requested_on,
        {{ parse_date('issued_on', 'yyyy-mm-dd') }} as issued_on,
        {{ parse_date('ceased_on', 'yyyy-mm-dd') }} as ceased_on,
        _extract_date
    from source

)

select * from final

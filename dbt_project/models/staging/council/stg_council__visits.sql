{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['visit_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('visits', 'visit_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'visits'), ['visit_id'], table_name='visits', incremental_key='visit_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        visit_id,
        person_id,
        {{ parse_date('visit_date', 'yyyy-mm-dd') }} as visit_date,
        {{ clean_code('visit_type') }} as visit_type_code,
        {{ parse_boolean('seen_alone') }} as is_seen_alone,
        {{ clean_code('worker_id') }} as worker_id,
        _extract_date
    from source

)

select * from final

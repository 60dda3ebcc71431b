{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['training_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('foster_training', 'training_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'foster_training'), ['training_id'], table_name='foster_training', incremental_key='training_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        training_id,
        carer_id,
        {{ clean_text('course') }} as course,
        {{ parse_date('completed_on', 'yyyy-mm-dd') }} as completed_on,
        _extract_date
    from source

)

select * from final

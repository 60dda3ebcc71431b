{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['step_id'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('workflow_steps', 'step_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: the keys tonight's deltas touched (macros/staging/source_increments.sql) -#}
with

source as (

    {{ collapse_council_deltas(
        source('council', 'workflow_steps'), ['step_id'], table_name='workflow_steps', incremental_key='step_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        step_id,
        {{ council_workflow_step_columns() }},
        {{ clean_text('attributes') }}::jsonb as attributes,
        _extract_date
    from source

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['step_id', 'version_number'], 'unique': true}],
        pre_hook="{{ council_delta_prepare('workflow_steps', 'step_id') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#-
    Every version of every council workflow step as delivered night by night (I, U and D
    rows of the deltas), typed like stg_council__workflow_steps. Ask "as known on D" with
    valid_from <= D and (valid_to is null or valid_to > D) and not is_deleted
    (macros/staging/history.sql).
-#}
with

versions as (

    {{ council_delta_versions(
        source('council', 'workflow_steps'), ['step_id'], table_name='workflow_steps', incremental_key='step_id'
    ) }}

),

final as (

    select
        'council'::text as source_system,
        step_id,
        version_number,
        valid_from,
        valid_to,
        is_deleted,
        {{ council_workflow_step_columns() }},
        {{ clean_code('change_type') }} as change_type,
        _extract_date,
        _batch_id
    from versions

)

select * from final

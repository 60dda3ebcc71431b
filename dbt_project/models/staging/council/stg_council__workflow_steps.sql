with

source as (

    {{ collapse_council_deltas(source('council', 'workflow_steps'), ['step_id']) }}

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

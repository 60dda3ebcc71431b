with

source as (

    {{ collapse_council_deltas(source('council', 'workflow_steps'), ['step_id']) }}

),

final as (

    select
        'council'::text as source_system,
        step_id,
        person_id,
        {{ clean_code('step_type') }} as step_type,
        {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
        {{ parse_date('completed_on', 'yyyy-mm-dd') }} as end_date,
        {{ clean_code('outcome') }} as outcome,
        parent_step_id,
        {{ clean_code('team') }} as team_code,
        {{ clean_text('attributes') }}::jsonb as attributes,
        _extract_date
    from source

)

select * from final

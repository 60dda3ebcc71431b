{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('hr', 'posts') }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#- Incremental: read again only if the snapshot changed (macros/staging/source_increments.sql) -#}
with

source as (

    {{ latest_snapshot(
        source('hr', 'posts'), 'hr', 'posts', only_when_changed=true
    ) }}

),

final as (

    select
        'hr'::text as source_system,
        {{ clean_code('post_number') }} as post_number,
        {{ clean_code('team') }} as team_code,
        {{ clean_text('job_title') }} as job_title,
        {{ parse_boolean('social_worker_post') }} as is_social_worker_post,
        {{ parse_boolean('case_holding') }} as is_case_holding,
        {{ parse_numeric('fte') }} as fte,
        {{ parse_date('established_from', ['yyyy-mm-dd', 'dd/mm/yyyy']) }} as established_from,
        {{ parse_date('established_to', ['yyyy-mm-dd', 'dd/mm/yyyy']) }} as established_to,
        _extract_date
    from source

)

select * from final

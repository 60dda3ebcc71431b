{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ snapshot_prepare('trust', 'cp_plans', every_batch=true) }}",
        post_hook="{{ source_batches_record() }}",
    )
}}
{#-
    Every version of every trust CP plan across the trust's nightly snapshots (2016-04-01 to
    2022-04-05): a new version when a plan first appears, when a delivered value changes, or
    when it comes back after missing from a snapshot; it ends when replaced or when a
    snapshot no longer holds it. Typed like stg_trust__cp_plans. "As known on D":
    valid_from <= D and (valid_to is null or valid_to > D) (macros/staging/history.sql).
-#}
with

versions as (

    {{ snapshot_versions(
        source('trust', 'cp_plans'),
        ['cp_plan_id'],
        ['referral_id', 'person_id', 'start_date', 'end_date', 'initial_category',
         'latest_category', 'end_reason'],
        only_when_changed=true
    ) }}

),

final as (

    select
        'trust'::text as source_system,
        cp_plan_id,
        version_number::int as version_number,
        valid_from,
        valid_to,
        {{ trust_cp_plan_columns() }},
        _extract_date,
        _batch_id
    from versions

)

select * from final

{#-
    The typed columns of a source table that its staging model and its history model share,
    so the two can never type a column differently. Each renders a comma-separated list of
    select expressions over the raw columns (no trailing comma).
-#}

{% macro council_workflow_step_columns() -%}
    person_id,
    {{ clean_code('step_type') }} as step_type,
    {{ parse_date('started_on', 'yyyy-mm-dd') }} as start_date,
    {{ parse_date('completed_on', 'yyyy-mm-dd') }} as end_date,
    {{ clean_code('outcome') }} as outcome,
    parent_step_id,
    {{ clean_code('team') }} as team_code
{%- endmacro %}


{% macro trust_cp_plan_columns() -%}
    referral_id,
    person_id,
    {{ parse_date('start_date', 'dd/mm/yyyy') }} as start_date,
    {{ parse_date('end_date', 'dd/mm/yyyy') }} as end_date,
    {{ clean_code('initial_category') }} as initial_category_code,
    {{ clean_code('latest_category') }} as latest_category_code,
    {{ clean_code('end_reason') }} as end_reason,
    coalesce({{ clean_code('end_reason') }} = 'TECH', false) as is_technical_closure
{%- endmacro %}

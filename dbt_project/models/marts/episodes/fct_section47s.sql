{#- One row per section 47 enquiry; working days from its start to the ICPC (target 15). -#}
with

s47s as (

    select * from {{ ref('int_section47s_unioned') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

final as (

    select
        s47s.s47_id::text as s47_key,
        pseudonyms.child_key::text as child_key,
        s47s.referral_id::text as referral_key,
        s47s.start_date::date as start_date,
        s47s.icpc_date::date as icpc_date,
        s47s.is_icpc_required::boolean as is_icpc_required,
        s47s.source_system::text as source_system,
        greatest(icpc_day.working_day_number - start_day.working_day_number, 0)::int
            as working_days_to_icpc
    from s47s
    inner join pseudonyms on s47s.child_id = pseudonyms.child_id
    left join dates as start_day on s47s.start_date = start_day.date_day
    left join dates as icpc_day on s47s.icpc_date = icpc_day.date_day

)

select * from final

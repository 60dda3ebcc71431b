{#-
    A section 47 enquiry (S47 step) with its initial child protection conference (the
    earliest ICPC step under it: PARENT_STEP_ID = the S47, or else the ICPC of the same
    referral within 60 days).
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}

),

icpcs as (

    select
        s47.step_id as s47_step_id,
        min(icpc.start_date) as icpc_date
    from steps as s47
    inner join steps as icpc
        on
            icpc.step_type = 'ICPC'
            and (
                s47.step_id = icpc.parent_step_id
                or (
                    icpc.parent_step_type is distinct from 'S47'
                    and s47.referral_step_id = icpc.referral_step_id
                    and icpc.start_date between s47.start_date and s47.start_date + 60
                )
            )
    where s47.step_type = 'S47'
    group by s47.step_id

),

final as (

    select
        s47.step_id as s47_id,
        s47.referral_step_id as referral_id,
        s47.person_id,
        s47.child_id,
        s47.start_date,
        icpc.icpc_date,
        s47.team_code,
        icpc.icpc_date is not null or s47.outcome in ('ICPC', 'Y') as is_icpc_required
    from steps as s47
    left join icpcs as icpc on s47.step_id = icpc.s47_step_id
    where s47.step_type = 'S47'

)

select * from final

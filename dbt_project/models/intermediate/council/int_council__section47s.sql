{#-
    A section 47 enquiry (S47 step) with its initial child protection conference (the
    earliest ICPC step under it: PARENT_STEP_ID = the S47, or else the ICPC of the same
    referral within 60 days).
-#}
with

steps as (

    select * from {{ ref('int_council__steps') }}

),

s47s as (

    select * from steps
    where step_type = 'S47'

),

icpc_steps as (

    select * from steps
    where step_type = 'ICPC'

),

icpc_candidates as (

    {#- two equi-joins, not one join on an OR (which made a nested loop of every S47 by
        every ICPC: minutes at scale 1) -#}

    select
        s47s.step_id as s47_step_id,
        icpc_steps.start_date
    from s47s
    inner join icpc_steps on s47s.step_id = icpc_steps.parent_step_id

    union all

    select
        s47s.step_id as s47_step_id,
        icpc_steps.start_date
    from s47s
    inner join icpc_steps
        on
            s47s.referral_step_id = icpc_steps.referral_step_id
            and icpc_steps.parent_step_type is distinct from 'S47'
            and icpc_steps.start_date between s47s.start_date and s47s.start_date + 60

),

icpcs as (

    select
        s47_step_id,
        min(start_date) as icpc_date
    from icpc_candidates
    group by s47_step_id

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
    from s47s as s47
    left join icpcs as icpc on s47.step_id = icpc.s47_step_id

)

select * from final

{#-
    Disabilities recorded for a child in either system, one row per child and DfE code
    (NONE excluded). Hidden disabilities (autism AUT, learning disability LD, behaviour BEH,
    communication COMM) per the seed dfe_disability.is_hidden, or the council's HIDDEN flag.
-#}
with

child_identity as (

    select * from {{ ref('int_child_identity') }}

),

codes as (

    select * from {{ ref('dfe_disability') }}

),

unioned as (

    select
        'trust' as source_system,
        person_id,
        disability_code,
        recorded_on as start_date,
        null::date as end_date,
        null::boolean as is_hidden_flag
    from {{ ref('stg_trust__disabilities') }}

    union all

    select
        'council' as source_system,
        person_id,
        disability_code,
        start_date,
        end_date,
        is_hidden_flag
    from {{ ref('stg_council__disabilities') }}

),

final as (

    select
        child_identity.child_id,
        unioned.disability_code,
        min(unioned.start_date) as first_recorded_on,
        bool_or(coalesce(codes.is_hidden, false) or coalesce(unioned.is_hidden_flag, false))
            as is_hidden,
        array_agg(distinct unioned.source_system) as source_systems
    from unioned
    inner join child_identity
        on
            unioned.source_system = child_identity.source_system
            and unioned.person_id = child_identity.person_id
    left join codes on unioned.disability_code = codes.code
    where unioned.disability_code is not null and unioned.disability_code != 'NONE'
    group by child_identity.child_id, unioned.disability_code

)

select * from final

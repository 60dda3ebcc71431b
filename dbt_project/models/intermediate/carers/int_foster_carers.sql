{#-
    Foster carers (council) with their checks and training. tsd_completed_on: the TSD
    standards date on the carer's record, else the earliest completed course named like TSD
    in foster_training.
-#}
with

carers as (

    select * from {{ ref('stg_council__foster_carers') }}

),

training as (

    select
        carer_id,
        count(*)::int as training_course_count,
        min(completed_on) filter (where upper(course) like '%TSD%') as tsd_training_completed_on,
        max(completed_on) as last_training_completed_on
    from {{ ref('stg_council__foster_training') }}
    group by carer_id

),

worker_map as (

    select * from {{ ref('int_worker_source_map') }}
    where source_system = 'council'

),

final as (

    select
        carers.carer_id,
        carers.household,
        carers.approved_on,
        carers.deregistered_on,
        carers.places,
        carers.dbs_checked_on,
        carers.medical_on,
        carers.last_review_on,
        worker_map.worker_id as supervising_worker_id,
        training.last_training_completed_on,
        coalesce(carers.is_references_complete, false) as is_references_complete,
        coalesce(carers.tsd_completed_on, training.tsd_training_completed_on) as tsd_completed_on,
        coalesce(training.training_course_count, 0) as training_course_count
    from carers
    left join training on carers.carer_id = training.carer_id
    left join worker_map on carers.supervising_worker_id = worker_map.source_worker_id

)

select * from final

{#-
    One row per CP review, numbered within its (stitched) plan. due_date: 3 months after the
    plan's start for the first review, 6 months after the previous review for later ones.
-#}
with

reviews as (

    select * from {{ ref('int_cp_reviews_unioned') }}

),

pseudonyms as (

    select * from {{ ref('int_child_pseudonyms') }}

),

final as (

    select
        reviews.cp_review_id::text as cp_review_key,
        reviews.cp_plan_id::text as cp_plan_key,
        pseudonyms.child_key::text as child_key,
        reviews.review_date::date as review_date,
        reviews.review_sequence::int as review_sequence,
        reviews.due_date::date as due_date,
        reviews.is_in_timescale::boolean as is_in_timescale,
        reviews.source_system::text as source_system
    from reviews
    inner join pseudonyms on reviews.child_id = pseudonyms.child_id

)

select * from final

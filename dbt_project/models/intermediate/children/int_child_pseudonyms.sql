{#-
    child_id -> child_key, the pseudonymous key the BI marts use: HMAC-SHA256 of the
    child_id with the warehouse secret (macro pseudonymise; the secret is read from
    ops.pseudonym_secret at run time). Computed once here; marts join it.
-#}
with

children as (

    select distinct child_id from {{ ref('int_child_keys') }}

),

final as (

    select
        child_id,
        {{ pseudonymise('child_id') }} as child_key
    from children

)

select * from final

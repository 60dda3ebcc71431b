{#-
    Candidate pairs of source persons who may be the same child, with the rule that links
    them: the first of the spec's rules, in order of trust, that holds.

      1 nhs_number       same valid NHS number (staging nulls invalid ones), any two records
                         (also two records in one system: NHS numbers are unique);
      2 former_trust_id  council FORMER_TRUST_ID = trust person_id;
      3 upn              same UPN (13 characters), any two records;
      4 name_dob         different systems, same date of birth and
                         - exact: same normalised surname and forename, or
                         - one_typo: one name the same and the other one edit apart
                           (insertion, deletion, substitution or adjacent swap, found by
                           "symmetric deletion" in plain SQL), both at least 4 letters, and
                           only when neither person has an exact name_dob candidate.

    A pair is a conflict (is_conflict, listed for review, never merged) when:
      - nhs_number or upn: the dates of birth differ;
      - former_trust_id: both have valid NHS numbers and they differ;
      - name_dob: a person has name_dob candidates with two or more records of the same
        other system (one person matching two: a common name, or twins' typos).
    Weaker rules never link records whose stronger identifiers contradict each other: upn
    and name_dob need the NHS numbers not to differ; name_dob needs the UPNs not to differ
    and known genders (1/2) not to differ.
-#}
with

persons as (

    select * from {{ ref('int_persons_unioned') }}

),

nhs_pairs as (

    select
        a.person_key as person_key_a,
        b.person_key as person_key_b,
        'nhs_number' as match_rule,
        1 as match_rule_rank,
        'exact' as match_rule_detail,
        case
            when a.date_of_birth = b.date_of_birth then null
            else 'nhs_number_dob_mismatch'
        end as conflict_type
    from persons as a
    inner join persons as b
        on a.nhs_number = b.nhs_number and a.person_key < b.person_key

),

former_trust_id_pairs as (

    select
        least(c.person_key, t.person_key) as person_key_a,
        greatest(c.person_key, t.person_key) as person_key_b,
        'former_trust_id' as match_rule,
        2 as match_rule_rank,
        'exact' as match_rule_detail,
        case
            when c.nhs_number != t.nhs_number then 'former_trust_id_nhs_mismatch'
        end as conflict_type
    from persons as c
    inner join persons as t
        on
            c.source_system = 'council'
            and t.source_system = 'trust'
            and c.former_trust_id = upper(t.person_id)

),

upn_pairs as (

    select
        a.person_key as person_key_a,
        b.person_key as person_key_b,
        'upn' as match_rule,
        3 as match_rule_rank,
        'exact' as match_rule_detail,
        case
            when a.date_of_birth = b.date_of_birth then null
            else 'upn_dob_mismatch'
        end as conflict_type
    from persons as a
    inner join persons as b
        on
            a.upn = b.upn
            and a.person_key < b.person_key
            and (a.nhs_number is null or b.nhs_number is null or a.nhs_number = b.nhs_number)

),

name_exact as (

    select
        a.person_key as person_key_a,
        b.person_key as person_key_b,
        'exact' as match_rule_detail
    from persons as a
    inner join persons as b
        on
            a.date_of_birth = b.date_of_birth
            and a.surname_normalised = b.surname_normalised
            and a.forename_normalised = b.forename_normalised
            and a.source_system != b.source_system
            and a.person_key < b.person_key
    where
        (a.nhs_number is null or b.nhs_number is null or a.nhs_number = b.nhs_number)
        and (a.upn is null or b.upn is null or a.upn = b.upn)

),

exact_matched as (

    {#- persons with an exact name_dob candidate: they get no one_typo candidates -#}

    select person_key_a as person_key from name_exact
    union
    select person_key_b from name_exact

),

name_variants as (

    {#- every name with each single letter deleted, plus the name itself, of the persons the
        one-typo rule can still link (no exact name_dob candidate); blocked by date of birth
        (the rule needs the same date of birth), so the self-join stays small. Duplicate
        variants ("anna" -> "ana" twice) are left in: one_edit is distinct. -#}

    select
        persons.person_key,
        persons.source_system,
        persons.date_of_birth,
        name_parts.name_part,
        name_parts.name_value as full_value,
        case
            when pos.i = 0 then name_parts.name_value  -- position 0: the whole name
            else left(name_parts.name_value, pos.i - 1) || substr(name_parts.name_value, pos.i + 1)
        end as variant
    from persons
    cross join
        lateral (
            values
            ('surname', persons.surname_normalised),
            ('forename', persons.forename_normalised)
        ) as name_parts (name_part, name_value)
    cross join
        lateral generate_series(0, length(name_parts.name_value)) as pos (i)
    where
        length(name_parts.name_value) >= 4
        and persons.date_of_birth is not null
        and persons.person_key not in (select exact_matched.person_key from exact_matched)

),

one_edit as (

    {#- trust against council only: a pair is always of two systems, so no record is joined
        with itself (at scale 1 that was 1.6 M joined rows thrown away); the pair is then
        ordered as the other rules order it -#}
    select distinct
        trust_variants.name_part,
        least(trust_variants.person_key, council_variants.person_key) as person_key_a,
        greatest(trust_variants.person_key, council_variants.person_key) as person_key_b
    from name_variants as trust_variants
    inner join name_variants as council_variants
        on
            trust_variants.date_of_birth = council_variants.date_of_birth
            and trust_variants.variant = council_variants.variant
            and trust_variants.name_part = council_variants.name_part
            and trust_variants.full_value != council_variants.full_value
    where trust_variants.source_system = 'trust' and council_variants.source_system = 'council'

),

name_typo as (

    select
        a.person_key as person_key_a,
        b.person_key as person_key_b,
        'one_typo' as match_rule_detail
    from one_edit
    inner join persons as a on one_edit.person_key_a = a.person_key
    inner join persons as b on one_edit.person_key_b = b.person_key
    where
        a.source_system != b.source_system
        and a.date_of_birth = b.date_of_birth
        and (
            (one_edit.name_part = 'surname' and a.forename_normalised = b.forename_normalised)
            or (one_edit.name_part = 'forename' and a.surname_normalised = b.surname_normalised)
        )
        and (a.nhs_number is null or b.nhs_number is null or a.nhs_number = b.nhs_number)
        and (a.upn is null or b.upn is null or a.upn = b.upn)
        and not (
            a.gender_code in ('1', '2')
            and b.gender_code in ('1', '2')
            and a.gender_code != b.gender_code
        )
        and a.person_key not in (select exact_matched.person_key from exact_matched)
        and b.person_key not in (select exact_matched.person_key from exact_matched)

),

name_pairs as (

    select * from name_exact
    union all
    select * from name_typo

),

name_candidates_per_system as (

    {#- one person with name_dob candidates in two or more records of the same other system -#}

    select
        ends.person_key,
        other.source_system as other_system,
        count(*) as n_candidates
    from (
        select
            person_key_a as person_key,
            person_key_b as other_key
        from name_pairs
        union all
        select
            person_key_b as person_key,
            person_key_a as other_key
        from name_pairs
    ) as ends
    inner join persons as other on ends.other_key = other.person_key
    group by ends.person_key, other.source_system

),

name_dob_pairs as (

    {#- ambiguous when either person has two or more candidates in the other's system -#}

    select
        name_pairs.person_key_a,
        name_pairs.person_key_b,
        'name_dob' as match_rule,
        4 as match_rule_rank,
        name_pairs.match_rule_detail,
        case
            when ambiguous_a.person_key is not null or ambiguous_b.person_key is not null
                then 'ambiguous_name_dob'
        end as conflict_type
    from name_pairs
    inner join persons as person_a on name_pairs.person_key_a = person_a.person_key
    inner join persons as person_b on name_pairs.person_key_b = person_b.person_key
    left join name_candidates_per_system as ambiguous_a
        on
            name_pairs.person_key_a = ambiguous_a.person_key
            and person_b.source_system = ambiguous_a.other_system
            and ambiguous_a.n_candidates > 1
    left join name_candidates_per_system as ambiguous_b
        on
            name_pairs.person_key_b = ambiguous_b.person_key
            and person_a.source_system = ambiguous_b.other_system
            and ambiguous_b.n_candidates > 1

),

all_pairs as (

    select * from nhs_pairs
    union all
    select * from former_trust_id_pairs
    union all
    select * from upn_pairs
    union all
    select * from name_dob_pairs

),

best_rule as (

    select distinct on (person_key_a, person_key_b)
        person_key_a,
        person_key_b,
        match_rule,
        match_rule_rank,
        match_rule_detail,
        conflict_type
    from all_pairs
    order by person_key_a, person_key_b, match_rule_rank, conflict_type nulls first

),

final as (

    select
        best_rule.person_key_a,
        a.source_system as source_system_a,
        a.person_id as person_id_a,
        best_rule.person_key_b,
        b.source_system as source_system_b,
        b.person_id as person_id_b,
        best_rule.match_rule,
        best_rule.match_rule_rank,
        best_rule.match_rule_detail,
        best_rule.conflict_type,
        best_rule.conflict_type is not null as is_conflict
    from best_rule
    inner join persons as a on best_rule.person_key_a = a.person_key
    inner join persons as b on best_rule.person_key_b = b.person_key

)

select * from final

with specialties as (
    select * from {{ ref('acgme_specialties') }}
),

outcomes as (
    select * from {{ ref('stg_reference__charting_outcomes') }}
),

programs as (
    select specialty_code, count(*) as programs_in_warehouse
    from {{ ref('stg_acgme__listings') }}
    group by specialty_code
),

final as (
    select
        specialties.specialty_code,
        specialties.specialty_name,
        nullif(specialties.nrmp_specialty, '') as nrmp_specialty,
        outcomes.positions as nrmp_positions,
        outcomes.img_preferring,
        outcomes.img_matched,
        outcomes.img_not_matched,
        case when outcomes.img_matched + outcomes.img_not_matched > 0
             then round(outcomes.img_matched / (outcomes.img_matched + outcomes.img_not_matched), 4)
        end as img_match_rate,
        outcomes.step2ck_matched_n,
        outcomes.step2ck_matched_mean,
        outcomes.step2ck_matched_sd,
        outcomes.step2ck_matched_q1,
        outcomes.step2ck_matched_median,
        outcomes.step2ck_matched_q3,
        outcomes.step2ck_not_matched_n,
        outcomes.step2ck_not_matched_mean,
        outcomes.step2ck_not_matched_sd,
        outcomes.step2ck_not_matched_q1,
        outcomes.step2ck_not_matched_median,
        outcomes.step2ck_not_matched_q3,
        -- one pooled SD for both groups (linear discriminant): the chance is then a logistic function of the score
        sqrt(((outcomes.step2ck_matched_n - 1) * pow(outcomes.step2ck_matched_sd, 2)
              + (outcomes.step2ck_not_matched_n - 1) * pow(outcomes.step2ck_not_matched_sd, 2))
             / nullif(outcomes.step2ck_matched_n + outcomes.step2ck_not_matched_n - 2, 0)) as step2ck_pooled_sd,
        outcomes.step2ck_matched_mean > outcomes.step2ck_not_matched_mean as step2ck_informative,
        outcomes.step2ck_matched_mean is null or outcomes.step2ck_not_matched_mean is null as step2ck_suppressed,
        coalesce(programs.programs_in_warehouse, 0) as programs_in_warehouse,
        outcomes.source as nrmp_source
    from specialties
    left join outcomes on outcomes.nrmp_specialty = specialties.nrmp_specialty
    left join programs using (specialty_code)
)

select * from final

-- NRMP Charting Outcomes (non-US IMGs, 2026), shipped as a seed or read from the user's own copy.
with source as (
    {% if var('charting_outcomes_path') %}
    select * from read_csv_auto('{{ var("charting_outcomes_path") }}', header = true)
    {% else %}
    select * from {{ ref('nrmp_charting_outcomes_2026_non_us_img') }}
    {% endif %}
),

final as (
    select
        specialty as nrmp_specialty,
        positions::integer as positions,
        all_applicants_preferring::integer as all_applicants_preferring,
        img_preferring::integer as img_preferring,
        img_matched::integer as img_matched,
        img_not_matched::integer as img_not_matched,
        step2ck_matched_n::integer as step2ck_matched_n,
        step2ck_matched_mean::double as step2ck_matched_mean,
        step2ck_matched_sd::double as step2ck_matched_sd,
        step2ck_matched_q1::double as step2ck_matched_q1,
        step2ck_matched_median::double as step2ck_matched_median,
        step2ck_matched_q3::double as step2ck_matched_q3,
        step2ck_not_matched_n::integer as step2ck_not_matched_n,
        step2ck_not_matched_mean::double as step2ck_not_matched_mean,
        step2ck_not_matched_sd::double as step2ck_not_matched_sd,
        step2ck_not_matched_q1::double as step2ck_not_matched_q1,
        step2ck_not_matched_median::double as step2ck_not_matched_median,
        step2ck_not_matched_q3::double as step2ck_not_matched_q3,
        source
    from source
)

select * from final

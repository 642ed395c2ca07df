with programs as (
    select * from {{ ref('dim_programs') }}
),

rosters as (
    select * from {{ ref('int_program_rosters') }}
),

specialties as (
    select * from {{ ref('acgme_specialties') }}
),

final as (
    select
        programs.program_id,
        programs.specialty_code,
        programs.specialty_name,
        programs.program_name,
        nullif(specialties.nrmp_specialty, '') as nrmp_specialty,
        programs.state,
        programs.census_region,
        programs.census_division,
        programs.sponsors_j1,
        programs.sponsors_h1b,
        programs.requires_step3_for_h1b,
        programs.step1_min,
        programs.step2ck_min,
        programs.max_attempts,
        programs.yog_max_years,
        programs.usce_required,
        programs.usce_min_months,
        programs.ecfmg_required_by,
        programs.accepts_imgs,
        rosters.residents_listed,
        rosters.residents_img,
        rosters.residents_us_ca,
        rosters.residents_unknown,
        case
            when rosters.residents_img + rosters.residents_us_ca >= {{ var('min_roster_for_share') }}
                then round(rosters.residents_img / (rosters.residents_img + rosters.residents_us_ca), 4)
        end as img_share,
        rosters.roster_url,
        (programs.sponsors_j1 is not null)::integer
            + (programs.sponsors_h1b is not null)::integer
            + (programs.step2ck_min is not null)::integer
            + (programs.max_attempts is not null)::integer
            + (programs.yog_max_years is not null)::integer
            + (programs.usce_required is not null)::integer
            + (programs.ecfmg_required_by is not null)::integer
            + (programs.accepts_imgs is not null)::integer
            + coalesce(rosters.residents_img + rosters.residents_us_ca >= {{ var('min_roster_for_share') }}, false)::integer
            as facts_known,
        programs.facts_with_conflict
    from programs
    left join rosters using (program_id)
    left join specialties using (specialty_code)
)

select
    *,
    round(facts_known / 9.0, 4) as data_completeness,
    -- the scorer compares a program's IMG share with its specialty's (programs with a known roster)
    avg(img_share) over (partition by specialty_code) as specialty_img_share_avg,
    -- a roster large enough to count, with no IMG on it: such a program is never "safety" for an IMG
    coalesce(residents_img = 0 and residents_img + residents_us_ca >= {{ var('min_roster_for_share') }}, false) as roster_shows_no_imgs,
    -- inferred from the name (ACGME lists no type); documented in docs/scoring.md
    case when program_name ilike '%universit%' then 'university' else 'community' end as program_type
from final

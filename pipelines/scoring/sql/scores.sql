-- Every pair's outcome, tier and rank score, for app.pair_scores (columns in score.SCORE_COLUMNS).
{% include "judged.sql" %},
specialty_chances as (
    -- the specialty chance and its range depend on the applicant and the specialty only: computed once
    -- per target, not once per program
    select t.applicant_id, t.specialty_name,
        {{ chance("a.step2ck_score", "s") }} as specialty_chance,
        {{ chance("a.step2ck_score", "s", -1.96) }} as specialty_low,
        {{ chance("a.step2ck_score", "s", 1.96) }} as specialty_high
    from targets t
    join applicants a using (applicant_id)
    join marts.dim_specialties s on s.specialty_code = t.specialty_code
),
specialty_logits as (
    select *, smartpick_logit(specialty_chance) as specialty_logit, smartpick_logit(specialty_low) as specialty_low_logit,
        smartpick_logit(specialty_high) as specialty_high_logit
    from specialty_chances
),
adjusted as (
    select j.*, c.specialty_chance, c.specialty_logit, c.specialty_low_logit, c.specialty_high_logit,
        -- the program adjustment (docs/scoring.md): IMG share against the specialty's, the index, the applicant's places
        case when img_share is not null and specialty_img_share_avg is not null then {{ p.beta_img_share }} * (img_share - specialty_img_share_avg) else 0 end
            + case when index_known_weight >= 50 then {{ p.beta_index }} * (img_friendliness_index - 50) / 50 else 0 end
            + case when list_contains(preferred_states, state) then {{ p.fit_state }}
                   when list_contains(preferred_regions, census_region) then {{ p.fit_region }} else 0 end
            + case when program_type_preference = program_type then {{ p.fit_type }} else 0 end as adjustment
    from judged j
    join specialty_logits c using (applicant_id, specialty_name)
),
chanced as (
    select *,
        smartpick_sigmoid(specialty_logit + adjustment) as chance,
        smartpick_sigmoid(specialty_low_logit + adjustment) as chance_low,
        smartpick_sigmoid(specialty_high_logit + adjustment) as chance_high
    from adjusted
)
select applicant_id, program_id, specialty_name, preference, specialty_chance, chance, chance_low, chance_high,
    round(100 * chance, 1) as score,
    case when gate_mask <> 0 or ask_mask <> 0 then null
         -- safety only when even the low end of the range clears the band, and never where the roster shows no IMG
         when chance_low >= {{ p.safety_threshold }} and not roster_shows_no_imgs then 'safety'
         when chance >= {{ p.target_threshold }} then 'target' else 'reach' end as tier,
    case when gate_mask <> 0 then 'excluded' when ask_mask <> 0 then 'ask_first' else 'listed' end as outcome,
    gate_mask <> 0 as gated,
    gate_mask,
    ask_mask,
    now() as scored_at
from chanced

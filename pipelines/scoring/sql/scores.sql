-- Every pair's outcome, tier and fit order, for app.pair_scores (columns in score.SCORE_COLUMNS).
-- No probability is computed per program: the specialty chance is the only one (once per target), and
-- tiers count the named signals of gates.SIGNALS (docs/scoring.md).
{% include "judged.sql" %},
specialty_chances as (
    select t.applicant_id, t.specialty_name, {{ chance("a.step2ck_score", "s") }} as specialty_chance
    from targets t
    join applicants a using (applicant_id)
    join marts.dim_specialties s on s.specialty_code = t.specialty_code
),
signalled as (
    select j.*, c.specialty_chance,
        -- bit i set when the i-th signal of gates.SIGNALS counts for / against this program
        {{ signals_up }} as signals_up,
        {{ signals_down }} as signals_down,
        case when gate_mask <> 0 then 'excluded' when visa_route = 'step3' then 'open_with_step3'
             when ask_mask <> 0 then 'ask_first' else 'listed' end as outcome
    from judged j
    join specialty_chances c using (applicant_id, specialty_name)
)
select applicant_id, program_id, specialty_name, preference, specialty_chance,
    -- the fit order: signals for minus against, then the applicant's places and program type; not a chance
    bit_count(signals_up) - bit_count(signals_down)
        + case when list_contains(preferred_states, state) then {{ p.fit_state }}
               when list_contains(preferred_regions, census_region) then {{ p.fit_region }} else 0 end
        + case when program_type_preference = program_type then {{ p.fit_type }} else 0 end as fit_order,
    case when outcome = 'listed' then smartpick_tier(bit_count(signals_up), bit_count(signals_down), {{ p.safety_signals }}) end as tier,
    outcome,
    gate_mask <> 0 as gated,
    gate_mask,
    ask_mask,
    signals_up,
    signals_down,
    now() as scored_at
from signalled

-- Pairs (applicant x program in one of the applicant's target specialties), their visa routes, and the
-- gates and asks of pipelines/scoring/gates.py: either as items with evidence (`evidence`, for the
-- programs a list shows) or as two bitmasks (for scoring all pairs).
with applicants as (
    select * from {{ applicants }}
),
sizes as (
    -- a program's size against its specialty's: the median of approved positions
    select f.specialty_code, median(d.approved_positions) as specialty_median_positions
    from marts.fct_program_img_features f join marts.dim_programs d using (program_id)
    group by f.specialty_code
),
targets as (
    select a.applicant_id, t.specialty_name, t.preference, s.specialty_code
    from applicants a,
         (select unnest(a.target_specialties) as specialty_name, generate_subscripts(a.target_specialties, 1) as preference) t
    join marts.dim_specialties s on s.specialty_name = t.specialty_name
),
pairs as (
    select t.specialty_name, t.preference, a.*, f.* replace ({{ as_known }}),
        d.program_email, d.website, d.city,
        {{ evidence_columns }},
        s.step2ck_matched_q1, s.img_match_rate,  -- the specialty's own figures; the chance is read once per target
        d.approved_positions, z.specialty_median_positions,
        i.img_friendliness_index, i.index_known_weight,
        -- a failed Step 1 not yet passed needs one more sitting: it counts toward attempt limits
        greatest(a.step1_attempts + case when a.step1_result = 'fail' then 1 else 0 end, a.step2ck_attempts) as most_attempts,
        try_cast(a.step1_result as integer) as step1_score,
        {{ p.match_year }} - a.graduation_year as years_since_graduation,
        case when f.requires_step3_for_h1b then date '{{ p.rank_deadline }}' else date '{{ p.h1b_step3_deadline }}' end as h1b_step3_by
    from targets t
    join applicants a using (applicant_id)
    join marts.fct_program_img_features f on f.specialty_code = t.specialty_code
    {% if only %}join {{ only }} o on o.applicant_id = t.applicant_id and o.program_id = f.program_id and o.specialty_name = t.specialty_name{% endif %}
    join {{ programs }} d on d.program_id = f.program_id
    join marts.dim_specialties s on s.specialty_code = t.specialty_code
    join marts.fct_program_img_friendliness i on i.program_id = f.program_id
    left join sizes z on z.specialty_code = t.specialty_code
),
routes as (
    select *,
        case when sponsors_j1 then 'open' when sponsors_j1 = false then 'closed' else 'unknown' end as j1_route,
        -- H-1B for residents needs USMLE Step 3 passed (8 CFR 214.2(h)(4)(viii)): a program that sponsors it
        -- is open once Step 3 is passed in time ('step3'), a condition the applicant can meet, not an exclusion
        case when sponsors_h1b = false then 'closed'
             when sponsors_h1b is null then 'unknown'
             when not (step3_passed or coalesce(step3_expected_date <= h1b_step3_by, false)) then 'step3'
             else 'open' end as h1b_route
    from pairs
),
visa as (
    select *,
        case visa_need
            when 'none' then 'open'
            when 'j1' then j1_route
            when 'h1b' then h1b_route
            else case when 'open' in (j1_route, h1b_route) then 'open'
                      when 'unknown' in (j1_route, h1b_route) then 'unknown'
                      when h1b_route = 'step3' then 'step3' else 'closed' end
        end as visa_route
    from routes
),
judged as (
    select *,
{% if evidence %}
        list_filter([
            {% for g in gates %}case when {{ g.condition }} then {{ g.item }} end{% if not loop.last %},
            {% endif %}{% endfor %}
        ], lambda x: x is not null) as gates,
        null as _no_asks  -- an explanation reads the asks from app.program_scores
{% else %}
        -- the exclusions and the unknown facts that could exclude THIS applicant ("ask first", never safety),
        -- bit i set when the i-th of gates.py holds
        {{ gate_mask }} as gate_mask,
        {{ ask_mask }} as ask_mask
{% endif %}
    from visa
)

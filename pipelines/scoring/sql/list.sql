-- The rows of a list version: listed programs up to the planned number, in fit order; every program open
-- with Step 3, to ask first or excluded.
with scores as (
    select s.*, a.applications_planned, len(a.target_specialties) as n_specialties
    from app.program_scores s join app.applicants a using (applicant_id)
    where s.applicant_id in (select unnest($ids))  -- a batch of applicants (score.LIST_BATCH)
),
sized as (
    select *,
        -- heuristic, see docs/scoring.md: more applications when the specialty chance is low
        least(120, greatest(20, round(40 / greatest(specialty_chance, 0.1))))::integer as recommended_applications,
        row_number() over (partition by applicant_id, specialty_name, outcome order by fit_order desc, program_id) as outcome_rank
    from scores
),
chosen as (
    -- listed: the best programs up to the planned number, whatever their tiers (no quota relabels a program);
    -- open with Step 3, ask first and excluded: all of them, so nothing is dropped silently
    select * from sized
    where outcome <> 'listed'
       or outcome_rank <= coalesce(ceil(applications_planned / n_specialties)::integer, recommended_applications)
),
final as (
    select c.applicant_id, c.specialty_name, c.preference,
        row_number() over (partition by c.applicant_id, c.specialty_name
                           order by case c.outcome when 'listed' then 0 when 'open_with_step3' then 1 when 'ask_first' then 2 else 3 end,
                                    c.fit_order desc, c.program_id) as list_rank,
        c.program_id, d.program_name, d.state, c.tier, c.fit_order, c.recommended_applications, c.specialty_chance,
        c.outcome as status, c.asks, c.signals_up, c.signals_down, d.program_email, d.website, d.city
    from chosen c join marts.dim_programs d using (program_id)
)
select * from final

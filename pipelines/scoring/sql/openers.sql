-- "What would open most": of an applicant's programs that are excluded or open only with Step 3 today, how
-- many one profile change (`change`, gates.OPENERS) would list, and how many it would move to ask first
-- (no stated rule excludes, but a page is silent on one that could); `applicants` is the changed profile,
-- judged with each program's own dates.
insert into app.applicant_openers (applicant_id, change, programs_opened, computed_at, programs_ask_first)
{% include "judged.sql" %}
select j.applicant_id, '{{ change }}',
    count(*) filter (where j.gate_mask = 0 and j.ask_mask = 0 and j.visa_route <> 'step3'),
    now(),
    count(*) filter (where j.gate_mask = 0 and j.ask_mask <> 0 and j.visa_route <> 'step3')
from judged j
join app.pair_scores s using (applicant_id, program_id)
where s.outcome in ('excluded', 'open_with_step3')
group by j.applicant_id

-- "What would open most": how many of an applicant's excluded programs no stated rule excludes once
-- one profile field changes (`change`, gates.OPENERS); `applicants` is the changed profile.
insert into app.applicant_openers
{% include "judged.sql" %}
select j.applicant_id, '{{ change }}', count(*) filter (where j.gate_mask = 0 and s.outcome = 'excluded'), now()
from judged j
join app.pair_scores s using (applicant_id, program_id)
group by j.applicant_id

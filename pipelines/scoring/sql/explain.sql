-- Reasons and exclusions with their evidence, only for the programs a list shows (`_candidate`); the
-- persisted pairs keep codes and numbers. A program that excludes the applicant shows no reasons.
{% include "judged.sql" %}
select j.applicant_id, j.program_id, j.gates,
    case when len(j.gates) > 0 then [] else list_filter([
        {% for r in reasons %}case when {{ r.condition }} then {{ r.item }} end{% if not loop.last %},
        {% endif %}{% endfor %}
    ], lambda x: x is not null) end as items
from judged j

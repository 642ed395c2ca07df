-- One content hash per applicant's list: order and scores ignored; each listed or ask-first program with
-- its tier, the codes and numbers of its reasons (so a fact change that matters to this applicant counts)
-- and the set of excluded programs. An applicant with no program at all still gets a hash.
-- Run once per batch of applicants ($batch), appending to _hashes: an ordered string_agg holds every
-- string of its group in memory and cannot spill, so all applicants at once would need the whole
-- list table's text in memory (an out-of-memory error under a 1 GB limit at 10,000 applicants).
insert into _hashes
select a.applicant_id,
       md5(coalesce(string_agg(
           c.specialty_name || ':' || c.program_id || ':' || c.status || ':' || coalesce(c.tier, '')
           || case when c.status = 'excluded' then '' else ':' || coalesce(list_transform(list_filter(e.items, lambda x: x.code <> 'index'),  -- a derived score, not a fact to act on
                                                          lambda x: x.code || '=' || coalesce(x.a, '') || '/' || coalesce(x.b, ''))::varchar, '')
                                                  || ':' || coalesce(c.asks::varchar, '') end,
           ',' order by c.specialty_name, c.program_id), '') || ':' || a.target_specialties::varchar) as list_hash,
       count(c.program_id) as entries
from (select applicant_id, target_specialties from app.applicants where applicant_id in (select unnest($batch))) a
left join _candidate c using (applicant_id)
left join _explained e on e.applicant_id = c.applicant_id and e.program_id = c.program_id
group by a.applicant_id, a.target_specialties

-- A new list version for each applicant whose hash (_hashes) differs from their latest version's, with its rows.
create or replace temp table _new_versions as
select h.applicant_id, coalesce(v.list_version, 0) + 1 as list_version, h.list_hash, h.entries
from _hashes h
left join (select applicant_id, list_version, list_hash from app.list_versions
           qualify row_number() over (partition by applicant_id order by list_version desc) = 1) v using (applicant_id)
where v.list_hash is distinct from h.list_hash;

insert into app.list_versions select applicant_id, list_version, list_hash, now(), entries from _new_versions;

insert into app.ranked_lists (applicant_id, list_version, specialty_name, preference, list_rank, program_id,
    program_name, state, tier, score, recommended_applications, specialty_chance, status, items, gates,
    asks, signals_up, signals_down, program_email, website, city, items_json, gates_json)
select c.applicant_id, n.list_version, c.specialty_name, c.preference, c.list_rank, c.program_id, c.program_name,
       c.state, c.tier, c.fit_order, c.recommended_applications, c.specialty_chance, c.status,
       coalesce(e.items, []), coalesce(e.gates, []), c.asks, c.signals_up, c.signals_down, c.program_email, c.website, c.city,
       -- the same lists as JSON text, what publishing reads: turning the lists into JSON at read time cost
       -- each census-sized list ~16 ms of a report worker's CPU, most of the query
       to_json(coalesce(e.items, []))::varchar, to_json(coalesce(e.gates, []))::varchar
from _candidate c join _new_versions n using (applicant_id)
left join _explained e on e.applicant_id = c.applicant_id and e.program_id = c.program_id;

-- Each applicant's input hash: their profile, the parameters ($params) and every row their target
-- specialties' programs are scored and explained from. A refresh that changed none of it changes no hash.
with programs as (
    select f.specialty_code,
           md5(string_agg(concat_ws('|', {{ features_row }}, {{ friendliness_row }}, {{ program_inputs }}),
                          '#' order by f.program_id)) as h
    from marts.fct_program_img_features f
    join marts.dim_programs d using (program_id)
    join marts.fct_program_img_friendliness i using (program_id)
    group by f.specialty_code
),
specialties as (
    select s.specialty_name, md5({{ specialties_row }} || coalesce(p.h, '')) as h
    from marts.dim_specialties s left join programs p using (specialty_code)
),
targets as (
    select a.applicant_id, string_agg(coalesce(s.h, t.name), ',' order by t.name) as h
    from app.applicants a, unnest(a.target_specialties) t(name)
    left join specialties s on s.specialty_name = t.name
    group by a.applicant_id
)
select a.applicant_id, md5(a::varchar || $params || coalesce(t.h, '')) as input_hash
from app.applicants a left join targets t using (applicant_id)

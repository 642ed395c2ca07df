-- Each listed resident's school as us_ca (US or Canadian school), img, or unknown.
-- Same order of rules as scrapers/residents.py: a named foreign country first, then the school list.
with rosters as (
    select * from {{ ref('stg_program_sites__rosters') }}
),

school_names as (
    select distinct trim(name) as name
    from (
        select lower(school_name) as name from {{ ref('medical_schools_us_ca') }}
        union all
        select unnest(string_split(lower(name_variants), ';')) as name from {{ ref('medical_schools_us_ca') }}
    )
    where trim(name) <> ''
),

countries as (
    select lower(country_pattern) as pattern from {{ ref('img_school_countries') }}
),

final as (
    select
        rosters.*,
        case
            when exists (
                select 1 from countries
                where regexp_matches(lower(rosters.medical_school), '\b' || countries.pattern || '\b')
            ) then 'img'
            when exists (
                select 1 from school_names where contains(lower(rosters.medical_school), school_names.name)
            ) then 'us_ca'
            else 'unknown'
        end as school_origin
    from rosters
)

select * from final

-- Each listed resident's school as us_ca (US or Canadian school), img, or unknown.
-- Same rules, seeds and order as scrapers/residents.py (a parity test over the unit test's names holds them
-- equal): a named foreign country first, then the school list, then a US state's university.
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

states as (
    select lower(state_name) as name from {{ ref('us_states') }}
),

-- a US state's name is no country's, though one may hold one ("New Mexico"): removed before countries are looked for
state_names as (
    select '\b(' || string_agg(name, '|') || ')\b' as pattern from states
),

final as (
    select
        rosters.*,
        case
            when exists (
                select 1 from countries, state_names
                where regexp_matches(regexp_replace(lower(rosters.medical_school), state_names.pattern, ' ', 'g'),
                                     '\b' || countries.pattern || '\b')
            ) then 'img'
            when exists (
                select 1 from school_names where contains(lower(rosters.medical_school), school_names.name)
            ) then 'us_ca'
            when exists (
                select 1 from states
                where regexp_matches(lower(rosters.medical_school), '\b(university of|state university)\b.*\b' || states.name || '\b')
            ) then 'us_ca'
            else 'unknown'
        end as school_origin
    from rosters
)

select * from final

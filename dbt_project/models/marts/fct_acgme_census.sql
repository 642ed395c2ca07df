with reports as (
    select * from {{ ref('stg_acgme__report_rows') }}
),

specialties as (
    select * from {{ ref('acgme_specialties') }}
),

listings as (
    select program_id from {{ ref('stg_acgme__listings') }}
),

final as (
    select
        reports.report_specialty,
        left(reports.program_id, 3) as specialty_code,
        specialties.specialty_code is not null as is_core_residency,
        count(*) as programs_listed,
        count(listings.program_id) as programs_with_details
    from reports
    left join specialties on specialties.specialty_code = left(reports.program_id, 3)
    left join listings on listings.program_id = reports.program_id
    group by all
)

select * from final

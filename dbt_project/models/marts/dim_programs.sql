with listings as (
    select * from {{ ref('stg_acgme__listings') }}
),

facts as (
    select * from {{ ref('int_program_facts_pivoted') }}
),

specialties as (
    select * from {{ ref('acgme_specialties') }}
),

states as (
    select * from {{ ref('us_states') }}
),

reports as (
    select program_id from {{ ref('stg_acgme__report_rows') }}
),

pages_hashed as (
    select * from {{ ref('int_program_pages_hashed') }}
),

pages as (
    select
        program_id,
        count(*) filter (where has_good_copy) as pages_stored,
        count(*) filter (where last_error is not null) as pages_with_errors,
        max(checked_at) as site_checked_at
    from {{ ref('stg_program_sites__pages') }}
    group by program_id
),

final as (
    select
        listings.program_id,
        listings.program_name,
        listings.specialty_code,
        coalesce(specialties.specialty_name, listings.specialty_listed) as specialty_name,
        listings.city,
        listings.state,
        states.census_region,
        states.census_division,
        listings.zip,
        listings.sponsor_code,
        listings.sponsor_name,
        listings.accreditation_status,
        listings.accreditation_effective_date,
        listings.original_accreditation_date,
        listings.approved_positions,
        listings.filled_positions,
        listings.website,
        listings.phone as program_phone,
        listings.email as program_email,
        listings.listing_url,
        listings.listing_fetched_at,
        listings.listing_seen_at,
        listings.program_id in (select program_id from reports) as in_specialty_report,
        coalesce(pages.pages_stored, 0) as pages_stored,
        pages_hashed.pages_hash,
        coalesce(pages.pages_with_errors, 0) as pages_with_errors,
        pages.site_checked_at,
        {%- for name, type in fact_fields() %}
        facts.{{ name }},
        facts.{{ name }}_evidence,
        facts.{{ name }}_confidence,
        facts.{{ name }}_source_url,
        facts.{{ name }}_fetched_at,
        coalesce(facts.{{ name }}_has_conflict, false) as {{ name }}_has_conflict,
        coalesce(facts.{{ name }}_source, 'extracted') as {{ name }}_source,
        facts.{{ name }}_reviewed_at,
        facts.{{ name }}_reviewer,
        facts.{{ name }}_review_note,
        {%- endfor %}
        coalesce(facts.facts_with_conflict, 0) as facts_with_conflict
    from listings
    left join facts using (program_id)
    left join specialties using (specialty_code)
    left join states on listings.state = states.state
    left join pages using (program_id)
    left join pages_hashed using (program_id)
)

select * from final

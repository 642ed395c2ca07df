with source as (
    select * from {{ source('raw', 'acgme_listings') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by program_id order by fetched_at desc nulls last) = 1
),

final as (
    select
        program_id,
        program_name,
        specialty_code,
        specialty as specialty_listed,
        number_state_code,
        address,
        city,
        upper(state) as state,
        zip,
        phone,
        email,
        website,
        accreditation_status,
        try_strptime(original_accreditation_date, '%m/%d/%Y')::date as original_accreditation_date,
        try_strptime(effective_date, '%m/%d/%Y')::date as accreditation_effective_date,
        approved_positions::integer as approved_positions,
        filled_positions::integer as filled_positions,
        sponsor_code,
        sponsor_name,
        director_name,
        try_strptime(director_appointed, '%m/%d/%Y')::date as director_appointed_date,
        source_url as listing_url,
        fetched_at as listing_fetched_at,
        seen_at as listing_seen_at
    from deduplicated
)

select * from final

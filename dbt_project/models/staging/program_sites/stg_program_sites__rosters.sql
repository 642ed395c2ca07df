with residents as (
    select * from {{ source('raw', 'program_residents') }}
),

pages as (
    select * from {{ ref('stg_program_sites__pages') }} where is_current
),

final as (
    select
        residents.program_id,
        residents.url,
        residents.position as roster_position,
        trim(residents.medical_school) as medical_school,
        pages.fetched_at
    from residents
    inner join pages
        on residents.url = pages.url and residents.content_hash = pages.content_hash
)

select * from final

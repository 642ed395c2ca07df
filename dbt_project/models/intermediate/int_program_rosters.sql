-- Roster counts per program from its largest residents page.
with classified as (
    select * from {{ ref('int_residents_classified') }}
),

per_page as (
    select
        program_id,
        url as roster_url,
        max(fetched_at) as roster_fetched_at,
        count(*) as residents_listed,
        count(*) filter (where school_origin = 'img') as residents_img,
        count(*) filter (where school_origin = 'us_ca') as residents_us_ca,
        count(*) filter (where school_origin = 'unknown') as residents_unknown
    from classified
    group by program_id, url
),

final as (
    select *
    from per_page
    qualify row_number() over (partition by program_id order by residents_listed desc, roster_url) = 1
)

select * from final

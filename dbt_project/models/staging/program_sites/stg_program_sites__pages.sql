with source as (
    select * from {{ source('raw', 'pages') }}
    where source = 'program_site'
),

final as (
    select
        url,
        program_id,
        depth,
        final_url,
        content_hash,
        fetched_at,
        checked_at,
        last_error,
        retired_at,
        retired_reason,
        content_hash is not null as has_good_copy,
        -- a page the site no longer links, or that failed several refreshes in a row, stops counting
        content_hash is not null and retired_at is null as is_current
    from source
)

select * from final

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
        content_hash is not null as has_good_copy
    from source
)

select * from final

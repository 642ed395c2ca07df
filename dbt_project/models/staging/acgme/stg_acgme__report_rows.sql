with source as (
    select * from {{ source('raw', 'acgme_report_rows') }}
),

final as (
    select
        program_id,
        program_name,
        city,
        upper(state) as state,
        accreditation_status,
        try_strptime(effective_date, '%m/%d/%Y')::date as accreditation_effective_date,
        specialty as report_specialty,
        report_url,
        fetched_at as report_fetched_at
    from source
    qualify row_number() over (partition by program_id order by fetched_at desc) = 1
)

select * from final

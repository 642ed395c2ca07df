with source as (
    {% if var('img_match_rates_path') %}
    select * from read_csv_auto('{{ var("img_match_rates_path") }}', header = true)
    {% else %}
    select * from {{ ref('img_match_rates_by_year') }}
    {% endif %}
),

final as (
    select
        match_year::integer as match_year,
        applicant_group,
        match_rate_pct::double as match_rate_pct,
        source_kind,
        source_url
    from source
)

select * from final

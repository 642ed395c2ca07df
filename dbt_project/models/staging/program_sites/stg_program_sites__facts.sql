-- Facts of the current good copy of each page only; older copies stay in raw for history.
with facts as (
    select * from {{ source('raw', 'program_facts') }}
),

pages as (
    select * from {{ ref('stg_program_sites__pages') }} where is_current
),

final as (
    select
        facts.program_id,
        facts.url,
        facts.field as fact_name,
        facts.value as fact_value,
        facts.evidence as evidence_sentence,
        coalesce(facts.confidence, 'stated') as fact_confidence,
        pages.depth as page_depth,
        pages.fetched_at,
        facts.extracted_at
    from facts
    inner join pages
        on facts.url = pages.url and facts.content_hash = pages.content_hash
)

select * from final

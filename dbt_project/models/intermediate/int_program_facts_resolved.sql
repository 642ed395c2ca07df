-- One value per program and fact from several pages.
-- Precedence (documented in _intermediate__models.yml): the more specific page wins
-- (eligibility / how-to-apply > IMG / international > FAQ > home > other), then the newest crawl.
with facts as (
    select * from {{ ref('stg_program_sites__facts') }}
),

ranked as (
    select
        *,
        case
            when regexp_matches(lower(url), 'eligib|apply|application|requirement|admission|criteria|selection') then 1
            when regexp_matches(lower(url), 'international|img|visa|foreign') then 2
            when regexp_matches(lower(url), 'faq|question') then 3
            when page_depth = 0 then 4
            else 5
        end as page_rank
    from facts
),

chosen as (
    select *
    from ranked
    qualify row_number() over (
        partition by program_id, fact_name order by page_rank, fetched_at desc, url
    ) = 1
),

evidence as (
    select
        program_id,
        fact_name,
        count(distinct fact_value) > 1 as has_conflict,
        count(*) as evidence_count,
        list(
            {'value': fact_value, 'sentence': evidence_sentence, 'url': url, 'fetched_at': fetched_at}
            order by page_rank, fetched_at desc
        ) as all_evidence
    from ranked
    group by program_id, fact_name
),

final as (
    select
        chosen.program_id,
        chosen.fact_name,
        chosen.fact_value,
        chosen.evidence_sentence,
        chosen.fact_confidence,
        chosen.url as source_url,
        chosen.fetched_at,
        chosen.page_rank,
        evidence.has_conflict,
        evidence.evidence_count,
        evidence.all_evidence
    from chosen
    inner join evidence using (program_id, fact_name)
)

select * from final

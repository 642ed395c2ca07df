-- One value per program and fact after review: the newest review (confirm, correct, unset) wins over
-- extraction while the page it was made against is unchanged; when that page changes, extraction wins
-- again and the fact is marked for review with both versions kept (review_stale). Reports never change
-- a value: they only send the fact to the queue.
with resolved as (
    select * from {{ ref('int_program_facts_resolved') }}
),

pages as (
    select url, program_id, content_hash from {{ ref('stg_program_sites__pages') }} where is_current
),

-- what a review of a fact no page states is made against: all the program's current pages
program_pages as (
    select * from {{ ref('int_program_pages_hashed') }}
),

reviews as (
    select *
    from {{ ref('stg_reviews__fact_reviews') }}
    where action <> 'report'
    qualify row_number() over (partition by program_id, fact_name order by reviewed_at desc, review_id desc) = 1
),

reports as (
    select program_id, fact_name, count(*) as reports, max(reviewed_at) as last_reported_at
    from {{ ref('stg_reviews__fact_reviews') }}
    where action = 'report'
    group by program_id, fact_name
),

joined as (
    select
        coalesce(resolved.program_id, reviews.program_id) as program_id,
        coalesce(resolved.fact_name, reviews.fact_name) as fact_name,
        resolved.fact_value as extracted_value,
        resolved.evidence_sentence,
        resolved.fact_confidence,
        resolved.source_url,
        resolved.fetched_at,
        resolved.has_conflict,
        reviews.action as review_action,
        reviews.review_value,
        reviews.reviewer,
        reviews.review_note,
        reviews.reviewed_at,
        reviews.against_hash,
        coalesce(pages.content_hash, program_pages.pages_hash) as current_hash
    from resolved
    full outer join reviews
        on resolved.program_id = reviews.program_id and resolved.fact_name = reviews.fact_name
    left join pages on pages.url = resolved.source_url
    left join program_pages on program_pages.program_id = coalesce(resolved.program_id, reviews.program_id)
),

final as (
    select
        joined.program_id,
        joined.fact_name,
        review_action is not null and against_hash is not distinct from current_hash as review_applies,
        case when review_applies then review_value else extracted_value end as fact_value,
        extracted_value,
        evidence_sentence,
        case when review_applies then 'stated' else fact_confidence end as fact_confidence,
        source_url,
        fetched_at,
        coalesce(has_conflict, false) as has_conflict,
        case when not review_applies then 'extracted'
             when review_action = 'confirm' then 'confirmed'
             else 'corrected' end as fact_source,
        case when review_applies then reviewed_at end as reviewed_at,
        case when review_applies then reviewer end as reviewer,
        case when review_applies then review_note end as review_note,
        review_action is not null and not review_applies as review_stale,
        review_value as last_review_value,
        coalesce(reports.reports, 0) as reports,
        reports.last_reported_at
    from joined
    left join reports using (program_id, fact_name)
)

select * from final

-- Every review of a fact, as recorded; the newest per program and fact is applied in int_program_facts_reviewed.
with reviews as (
    select * from {{ source('raw', 'fact_reviews') }}
),

final as (
    select
        review_id,
        program_id,
        fact_name,
        action,
        value as review_value,
        reviewer,
        note as review_note,
        reviewed_at,
        against_url,
        against_hash,
        extracted_value,
        extracted_evidence
    from reviews
)

select * from final

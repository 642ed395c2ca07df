-- One row per program, each fact typed, with its evidence, source URL, fetch time, conflict flag and review.
with resolved as (
    select * from {{ ref('int_program_facts_reviewed') }}
),

-- every listed program has a row, facts or not: a program whose last fact page was retired must
-- show its facts going to null in the snapshot, not vanish from it
programs as (
    select distinct program_id from {{ ref('stg_acgme__listings') }}
),

final as (
    select
        program_id,
        {%- for name, type in fact_fields() %}
        max(case when fact_name = '{{ name }}' then fact_value end)::{{ type }} as {{ name }},
        max(case when fact_name = '{{ name }}' then evidence_sentence end) as {{ name }}_evidence,
        max(case when fact_name = '{{ name }}' then fact_confidence end) as {{ name }}_confidence,
        max(case when fact_name = '{{ name }}' then source_url end) as {{ name }}_source_url,
        max(case when fact_name = '{{ name }}' then fetched_at end) as {{ name }}_fetched_at,
        coalesce(bool_or(case when fact_name = '{{ name }}' then has_conflict end), false) as {{ name }}_has_conflict,
        coalesce(max(case when fact_name = '{{ name }}' then fact_source end), 'extracted') as {{ name }}_source,
        max(case when fact_name = '{{ name }}' then reviewed_at end) as {{ name }}_reviewed_at,
        max(case when fact_name = '{{ name }}' then reviewer end) as {{ name }}_reviewer,
        max(case when fact_name = '{{ name }}' then review_note end) as {{ name }}_review_note,
        {%- endfor %}
        count(*) filter (where has_conflict) as facts_with_conflict
    from programs
    left join resolved using (program_id)
    group by program_id
)

select * from final

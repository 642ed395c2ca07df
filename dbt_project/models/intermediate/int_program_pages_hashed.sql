-- What a review of a fact no page states is made against: all the program's current site pages, as one
-- hash. The review command reads it from dim_programs.pages_hash and int_program_facts_reviewed compares
-- with it, so both sides use this one spelling.
with pages as (
    select url, program_id, content_hash from {{ ref('stg_program_sites__pages') }} where is_current
),

final as (
    select program_id, md5(string_agg(content_hash, ',' order by url)) as pages_hash
    from pages
    group by program_id
)

select * from final

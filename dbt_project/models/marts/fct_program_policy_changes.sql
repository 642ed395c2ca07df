-- One row per changed fact per program per refresh, from the snapshot's consecutive versions.
with retired as (
    select url from {{ ref('stg_program_sites__pages') }} where retired_at is not null
),

versions as (
    select
        *,
        row_number() over (partition by program_id order by dbt_valid_from) as version_number
    from {{ ref('snap_program_facts') }}
),

pairs as (
    select
        new.program_id,
        new.dbt_valid_from as changed_at,
        {%- for name, type in fact_fields() %}
        old.{{ name }}::varchar as old_{{ name }},
        new.{{ name }}::varchar as new_{{ name }},
        old.{{ name }}_evidence as old_evidence_{{ name }},
        old.{{ name }}_source_url as old_url_{{ name }},
        new.{{ name }}_evidence as evidence_{{ name }},
        new.{{ name }}_source_url as url_{{ name }},
        coalesce(new.{{ name }}_source, 'extracted') as source_{{ name }},
        {%- endfor %}
        new.version_number
    from versions as new
    inner join versions as old
        on new.program_id = old.program_id and old.version_number = new.version_number - 1
),

changes as (
    {%- for name, type in fact_fields() %}
    select
        program_id,
        '{{ name }}' as fact_name,
        old_{{ name }} as old_value,
        new_{{ name }} as new_value,
        changed_at,
        old_evidence_{{ name }} as old_evidence_sentence,
        evidence_{{ name }} as evidence_sentence,
        coalesce(url_{{ name }}, old_url_{{ name }}) as source_url,
        source_{{ name }} as fact_source,
        case when new_{{ name }} is null and old_url_{{ name }} in (select url from retired) then 'page removed'
             else 'value changed' end as change_kind
    from pairs
    where old_{{ name }} is distinct from new_{{ name }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        md5(program_id || '|' || fact_name || '|' || changed_at::varchar) as change_id,
        *
    from changes
)

select * from final

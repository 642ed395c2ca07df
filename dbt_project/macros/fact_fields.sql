{# Generated from scrapers/facts/catalogue.py by `python -m scrapers.facts.catalogue --write`; do not edit. #}
{# The IMG facts the scrapers extract, with the SQL type each is cast to. One list for every model. #}
{% macro fact_fields() -%}
{{ return([
    ("sponsors_j1", "boolean"),
    ("sponsors_h1b", "boolean"),
    ("requires_step3_for_h1b", "boolean"),
    ("step1_min", "integer"),
    ("step2ck_min", "integer"),
    ("max_attempts", "integer"),
    ("yog_max_years", "integer"),
    ("usce_required", "boolean"),
    ("usce_min_months", "integer"),
    ("ecfmg_required_by", "varchar"),
    ("accepts_imgs", "boolean")
]) }}
{%- endmacro %}

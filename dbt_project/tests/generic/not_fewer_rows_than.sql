{# A mart may not lose rows against its source (a join that drops programs is a bug). #}
{% test not_fewer_rows_than(model, compare_model) %}
select 1
from (select count(*) as n from {{ model }}) a, (select count(*) as n from {{ compare_model }}) b
where a.n < b.n
{% endtest %}

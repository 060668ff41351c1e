{# Generic data test: the combination of these columns is a key (dbt_utils' test, without the package). #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as rows
from {{ model }}
group by all
having count(*) > 1
{% endtest %}

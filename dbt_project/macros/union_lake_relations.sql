{#
  Per-recipe relations (filter verdicts, deduplicated views, mixture manifests) are created by one Dagster
  asset per recipe file, so their set is only known in the lake. These macros find them at run time and
  union them with the recipe as a column; with none there yet they return an empty, typed relation.
#}

{% macro lake_relations(schema, suffix='') %}
    {% set names = [] %}
    {% if execute %}
        {% set query %}
            select table_name as name from duckdb_tables() where database_name = 'lake' and schema_name = '{{ schema }}'
            union all
            select view_name from duckdb_views() where database_name = 'lake' and schema_name = '{{ schema }}'
            order by 1
        {% endset %}
        {% for row in run_query(query) %}
            {% if row[0].endswith(suffix) and (suffix or '__' not in row[0]) %}
                {% do names.append(row[0]) %}
            {% endif %}
        {% endfor %}
    {% endif %}
    {{ return(names) }}
{% endmacro %}

{#
  columns: {name: type}; select_sql: the select list per relation (default: the columns by name), so a caller
  can unpivot or compute per relation before the union.
#}
{% macro union_lake_relations(schema, columns, suffix='', name_column='recipe') %}
    {% set names = lake_relations(schema, suffix) %}
    {% for name in names %}
        select
            '{{ name[:(name | length) - (suffix | length)] }}' as {{ name_column }},
            {% for column in columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        from lake.{{ schema }}."{{ name }}"
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            cast(null as varchar) as {{ name_column }},
            {% for column, type in columns.items() %}cast(null as {{ type }}) as {{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        where false
    {% endfor %}
{% endmacro %}

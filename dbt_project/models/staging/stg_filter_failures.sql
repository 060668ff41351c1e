-- A table, not a view: the per-recipe views it reads re-run every filter's SQL on each read, and the marts
-- and data tests read this several times.
{{ config(materialized='table') }}

-- Every filter each document fails, whatever the order: the recipe views keep one `<filter>_reason` column per
-- filter of the recipe (NULL when it passes); UNPIVOT drops the passes.
with failures as (

    {% set suffix = '__verdicts' %}
    {% for name in lake_relations('filtered_documents', suffix) %}
        select
            '{{ name[:(name | length) - (suffix | length)] }}' as recipe,
            doc_id,
            crawl_file,
            regexp_replace(filter_column, '_reason$', '') as filter,
            filter_reason as reason
        from (
            unpivot (select doc_id, crawl_file, columns('.+_reason$') from lake.filtered_documents."{{ name }}")
            on columns('.+_reason$')
            into name filter_column value filter_reason
        )
        {% if not loop.last %}union all{% endif %}
    {% else %}
        select
            cast(null as varchar) as recipe,
            cast(null as varchar) as doc_id,
            cast(null as varchar) as crawl_file,
            cast(null as varchar) as filter,
            cast(null as varchar) as reason
        where false
    {% endfor %}

)

select * from failures

{#- A table of the lake's DuckLake catalog (the metadata DuckLake keeps about its own snapshots and files, in the
    catalog database that ATTACH makes `__ducklake_metadata_lake`): schema `main` in a SQLite or DuckDB catalog
    file, `public` in a PostgreSQL one. -#}
{% macro ducklake_metadata(table) -%}
    {%- set schema = 'public' if env_var('CURATOR_LAKE_CATALOG', '').startswith('postgres:') else 'main' -%}
    __ducklake_metadata_lake.{{ schema }}.{{ table }}
{%- endmacro %}

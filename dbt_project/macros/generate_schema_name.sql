{#
  Use the configured schema as is (`stats`), not dbt's default `<target schema>_<custom schema>`. The Dagster
  asset builds into a staging schema (CURATOR_STATS_SCHEMA=stats_build) and publishes it whole once every node
  passed, so a crash or a failed test leaves the previous complete set in `stats`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = custom_schema_name | trim if custom_schema_name else target.schema -%}
    {%- if schema == 'stats' -%}{{ env_var('CURATOR_STATS_SCHEMA', 'stats') }}{%- else -%}{{ schema }}{%- endif -%}
{%- endmacro %}

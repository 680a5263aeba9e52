{#-
  dbtc built-in macros: config-driven switches of the `dbt` package.
  These are dbtc's own implementations, matching dbt-core 1.11's results.
  (is_incremental() is provided natively by dbtc, not here.)
-#}

{#- model config full_refresh wins; otherwise the --full-refresh flag -#}
{% macro should_full_refresh() -%}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is none -%}
        {%- set configured = flags.FULL_REFRESH if flags is defined else false -%}
    {%- endif -%}
    {{ return(configured) }}
{%- endmacro %}

{#- test config store_failures wins; otherwise the --store-failures flag -#}
{% macro should_store_failures() -%}
    {%- set configured = config.get('store_failures') -%}
    {%- if configured is none -%}
        {%- set configured = flags.STORE_FAILURES if flags is defined else false -%}
    {%- endif -%}
    {{ return(configured) }}
{%- endmacro %}

{#- {% call set_sql_header(config) %}...{% endcall %} stores the SQL header -#}
{% macro set_sql_header(config) -%}
{{ config.set('sql_header', caller()) }}
{%- endmacro %}

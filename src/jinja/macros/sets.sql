{#-
  dbtc built-in macros: set operators and null-aware equality of the `dbt`
  package. These are dbtc's own implementations, written to render the same
  SQL as dbt-core 1.11 with dbt-duckdb 1.11 / dbt-postgres 1.11, byte for
  byte (an operator renders surrounded by blank lines).
-#}

{% macro except() -%}
{{ return(adapter.dispatch('except', 'dbt')()) }}
{%- endmacro %}

{% macro default__except() %}

    except

{% endmacro %}


{% macro intersect() -%}
{{ return(adapter.dispatch('intersect', 'dbt')()) }}
{%- endmacro %}

{% macro default__intersect() %}

    intersect

{% endmacro %}


{#- equals(expr1, expr2): plain `=` unless the adapter behavior flag
    enable_truthy_nulls_equals_macro is on (it is off by default), in which
    case two nulls compare equal too -#}
{% macro equals(expr1, expr2) -%}
{{ return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) }}
{%- endmacro %}

{% macro _dbtc_truthy_nulls_equals() -%}
    {%- set on = false -%}
    {%- if adapter.behavior is defined and adapter.behavior is not none -%}
        {%- set flag = adapter.behavior.enable_truthy_nulls_equals_macro -%}
        {%- if flag is defined and flag is not none -%}
            {%- set on = flag.no_warn if flag.no_warn is defined else flag -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(on) }}
{%- endmacro %}

{% macro default__equals(expr1, expr2) -%}
    {%- if _dbtc_truthy_nulls_equals() %}
    case when (({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null))
        then 0
        else 1
    end = 0
    {%- else -%}
    ({{ expr1 }} = {{ expr2 }})
    {%- endif %}
{% endmacro %}

{% macro postgres__equals(expr1, expr2) -%}
    {%- if _dbtc_truthy_nulls_equals() %}
    ({{ expr1 }} IS NOT DISTINCT FROM {{ expr2 }})
    {%- else -%}
    ({{ expr1 }} = {{ expr2 }})
    {%- endif %}
{%- endmacro %}

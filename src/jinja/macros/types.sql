{#-
  dbtc built-in macros: data type names and casts of the `dbt` package.
  These are dbtc's own implementations, written to render the same SQL as
  dbt-core 1.11 with dbt-duckdb 1.11 / dbt-postgres 1.11, byte for byte.

  The type names are what dbt's Column.translate_type gives on duckdb and
  postgres: the label "string" maps to TEXT (upper case), every other label
  is passed through unchanged; numeric is numeric(28,6).
-#}

{% macro _dbtc_translate_type(label) -%}
{{ return('TEXT' if (label | upper) == 'STRING' else label) }}
{%- endmacro %}

{% macro type_string() -%}
{{ return(adapter.dispatch('type_string', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_string() -%}
{{ return(_dbtc_translate_type('string')) }}
{%- endmacro %}

{% macro type_timestamp() -%}
{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_timestamp() -%}
{{ return(_dbtc_translate_type('timestamp')) }}
{%- endmacro %}

{% macro type_float() -%}
{{ return(adapter.dispatch('type_float', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_float() -%}
{{ return(_dbtc_translate_type('float')) }}
{%- endmacro %}

{% macro type_numeric() -%}
{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}
{%- endmacro %}

{#- precision 28, scale 6, as dbt's Column.numeric_type('numeric', 28, 6) -#}
{% macro default__type_numeric() -%}
{{ return('numeric(28,6)') }}
{%- endmacro %}

{% macro type_bigint() -%}
{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_bigint() -%}
{{ return(_dbtc_translate_type('bigint')) }}
{%- endmacro %}

{% macro type_int() -%}
{{ return(adapter.dispatch('type_int', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_int() -%}
{{ return(_dbtc_translate_type('integer')) }}
{%- endmacro %}

{% macro type_boolean() -%}
{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_boolean() -%}
{{ return(_dbtc_translate_type('boolean')) }}
{%- endmacro %}


{#- ---- casts ---- -#}
{% macro cast(field, type) -%}
{{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}
{%- endmacro %}

{% macro default__cast(field, type) %}
    cast({{ field }} as {{ type }})
{% endmacro %}

{% macro safe_cast(field, type) -%}
{{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}
{%- endmacro %}

{#- neither duckdb nor postgres gets try_cast from dbt: a plain cast -#}
{% macro default__safe_cast(field, type) %}
    {# a line that renders as four spaces, as in dbt-core's output #}
    cast({{ field }} as {{ type }})
{% endmacro %}

{#- not a return()-style macro: the dispatched SQL is wrapped in whitespace -#}
{% macro cast_bool_to_text(field) %}
  {{ adapter.dispatch('cast_bool_to_text', 'dbt')(field) }}
{% endmacro %}

{% macro default__cast_bool_to_text(field) %}
    cast({{ field }} as {{ _dbtc_translate_type('string') }})
{% endmacro %}

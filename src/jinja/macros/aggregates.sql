{#-
  dbtc built-in macros: aggregate helpers of the `dbt` package.
  These are dbtc's own implementations, written to render the same SQL as
  dbt-core 1.11 with dbt-duckdb 1.11 / dbt-postgres 1.11, byte for byte.
-#}

{#- listagg(measure, delimiter_text, order_by_clause, limit_num):
    order_by_clause is a full clause such as "order by x"; limit_num keeps the
    first n values -#}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}
{%- endmacro %}

{#- Whitespace note for this file: what a macro renders goes into the compiled
    SQL byte for byte, so the layout of each body (blank lines, indentation,
    which tags trim) reproduces the SQL text dbt-core writes. -#}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
    array_to_string(
        array_slice(
            array_agg(
                {{ measure }}
            ){% if order_by_clause %}within group ({{ order_by_clause }}){% endif %}
            ,0
            ,{{ limit_num }}
        ),
        {{ delimiter_text }}
        )
    {%- else %}
    listagg(
        {{ measure }},
        {{ delimiter_text }}
        )
        {% if order_by_clause %}within group ({{ order_by_clause }}){% endif %}
    {%- endif %}
{%- endmacro %}

{#- duckdb and postgres: ordered string_agg, or a sliced array_agg when limited;
    duckdb folds the slice with list_aggr(..., 'string_agg', delimiter) -#}
{% macro _dbtc_listagg_via_array(measure, delimiter_text, order_by_clause, limit_num, fold_with, fold_names_aggregate) -%}
    {%- if limit_num -%}
    {{ fold_with }}(
        (array_agg(
            {{ measure }}
            {% if order_by_clause %}{{ order_by_clause }}{% endif %}
        ))[1:{{ limit_num }}],
        {%- if fold_names_aggregate %}
        'string_agg',
        {%- endif %}
        {{ delimiter_text }}
        )
    {%- else %}
    string_agg(
        {{ measure }},
        {{ delimiter_text }}
        {% if order_by_clause %}{{ order_by_clause }}{% endif %}
        )
    {%- endif %}
{%- endmacro %}

{% macro duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{{ _dbtc_listagg_via_array(measure, delimiter_text, order_by_clause, limit_num, 'list_aggr', true) }}
{%- endmacro %}

{% macro postgres__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{{ _dbtc_listagg_via_array(measure, delimiter_text, order_by_clause, limit_num, 'array_to_string', false) }}
{%- endmacro %}


{% macro any_value(expression) -%}
{{ return(adapter.dispatch('any_value', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__any_value(expression) -%}
any_value({{ expression }})
{%- endmacro %}

{% macro duckdb__any_value(expression) -%}
arbitrary({{ expression }})
{%- endmacro %}

{#- postgres has no any_value: min() picks one value -#}
{% macro postgres__any_value(expression) -%}
min({{ expression }})
{%- endmacro %}


{% macro bool_or(expression) -%}
{{ return(adapter.dispatch('bool_or', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__bool_or(expression) -%}
bool_or({{ expression }})
{%- endmacro %}

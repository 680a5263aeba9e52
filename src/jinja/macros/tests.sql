{#-
  dbtc built-in macros: the generic data tests of dbt (unique, not_null,
  accepted_values, relationships) and their helpers.
  These are dbtc's own implementations, written to render the same SQL as
  `dbt compile` writes for these tests with dbt-core 1.11, byte for byte.

  A generic test node renders {{ test_<name>(**kwargs) }}, where kwargs holds
  the test's arguments plus column_name, and `model` is
  {{ get_where_subquery(<the tested relation>) }}: with a `where` config the
  relation is replaced by a filtered subquery aliased dbt_subquery.
  Each test_<name> dispatches to <adapter>__test_<name> / default__test_<name>.
-#}

{#- Whitespace: dbt-core writes a test's compiled SQL exactly as these macros
    render it, blank lines included, and dbtc's output is compared byte for byte
    with dbt's (tests/fixtures.rs). Each wrapper below renders a newline and four
    spaces twice, then the dispatched body, then a newline; each body starts and
    ends with blank lines. Comments render as nothing, so they keep the layout. -#}

{% macro test_unique(model, column_name) %}
    {# the adapter's implementation, or default__test_unique #}
    {{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{% endmacro %}

{% macro test_not_null(model, column_name) %}
    {# the adapter's implementation, or default__test_not_null #}
    {{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{% endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=true) %}
    {# the adapter's implementation, or default__test_accepted_values #}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(model, column_name, values, quote) }}
{% endmacro %}

{% macro test_relationships(model, column_name, to, field) %}
    {# the adapter's implementation, or default__test_relationships #}
    {{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
{% endmacro %}


{#- one row per duplicated non-null value -#}
{% macro default__test_unique(model, column_name) %}

select
    {{ column_name }} as unique_field,
    count(*) as n_records

from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1

{% endmacro %}

{#- the null rows; whole rows when failures are stored -#}
{% macro default__test_not_null(model, column_name) %}

{# the selected columns: all of them when failures are stored #}

select {{ '*' if should_store_failures() else column_name }}
from {{ model }}
where {{ column_name }} is null

{% endmacro %}

{#- values outside the list, with their counts; values are quoted as string
    literals unless quote is false -#}
{% macro default__test_accepted_values(model, column_name, values, quote=true) %}

with all_values as (

    select
        {{ column_name }} as value_field,
        count(*) as n_records

    from {{ model }}
    group by {{ column_name }}

)

select *
from all_values
where value_field not in (
    {% for value in values -%}
        {%- if quote %}'{{ value }}'{% else %}{{ value }}{% endif -%}
        {%- if not loop.last %},{% endif -%}
    {%- endfor %}
)

{% endmacro %}

{#- child values (non-null) with no matching parent row -#}
{% macro default__test_relationships(model, column_name, to, field) %}

with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null

{% endmacro %}


{#- the `where` test config, applied by wrapping the tested relation -#}
{% macro get_where_subquery(relation) -%}
{{ return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) }}
{%- endmacro %}

{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- the query `dbt test` runs around a compiled test -#}
{% macro get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
{{ adapter.dispatch('get_test_sql', 'dbt')(main_sql, fail_calc, warn_if, error_if, limit) }}
{%- endmacro %}

{#- indented as dbt-core renders it; an absent limit leaves a line of six spaces -#}
{% macro default__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    select
      {{ fail_calc }} as failures,
      {{ fail_calc }} {{ warn_if }} as should_warn,
      {{ fail_calc }} {{ error_if }} as should_error
    from (
      {{ main_sql }}
      {% if limit is not none %}limit {{ limit }}{% endif %}
    ) dbt_internal_test
{%- endmacro %}

//! The fixed text of generated projects: dbt_project.yml, profiles.yml and macros.

pub(super) const PROJECT_YML: &str = "name: generated
version: '1.0.0'
config-version: 2
profile: generated

model-paths: [\"models\"]
seed-paths: [\"seeds\"]
macro-paths: [\"macros\"]
test-paths: [\"tests\"]
analysis-paths: [\"analyses\"]
target-path: target
clean-targets: [target, dbt_packages]

vars:
  start_date: '2020-01-01'
  large_amount_threshold: 100

models:
  generated:
    staging:
      +materialized: view
      +tags: ['staging']
    intermediate:
      +materialized: table
      +tags: ['intermediate']
    marts:
      +materialized: table
      +tags: ['marts']
      customers:
        +tags: ['customer_facing']

seeds:
  generated:
    +tags: ['raw']
";

pub(super) const PROFILES_YML: &str = "generated:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: generated.duckdb
      schema: main
      threads: 4
";

/// Number of macros defined across `MACROS` (safe_divide has two).
pub(super) const MACRO_COUNT: usize = 6;

pub(super) const MACROS: [(&str, &str); 4] = [
    (
        "cents_to_dollars.sql",
        "{% macro cents_to_dollars(column_name, scale=2) -%}
    cast({{ column_name }} / 100 as decimal(16, {{ scale }}))
{%- endmacro %}
",
    ),
    (
        "value_rank.sql",
        "{# Builds a CASE mapping each listed value to its 1-based position. #}
{% macro value_rank(column_name, values) -%}
    case
    {%- for value in values %}
        when {{ column_name }} = '{{ value }}' then {{ loop.index }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}
",
    ),
    (
        "safe_divide.sql",
        "{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'generated')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) = 0 then null else ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}
",
    ),
    (
        "value_lists.sql",
        "{% macro order_statuses() %}
    {{ return(['placed', 'shipped', 'completed', 'returned']) }}
{% endmacro %}

{% macro payment_methods() %}
    {{ return(['credit_card', 'bank_transfer', 'gift_card', 'coupon']) }}
{% endmacro %}
",
    ),
];

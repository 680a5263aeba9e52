{#-
  dbtc built-in macros: date and time helpers of the `dbt` package.
  These are dbtc's own implementations. Each one is written to render the same
  SQL as dbt-core 1.11 with dbt-duckdb 1.11 / dbt-postgres 1.11, byte for
  byte (the blank lines and indentation of a body are part of its output). Entry points dispatch through
  adapter.dispatch(name, 'dbt'), so `<adapter>__name` and `default__name`
  defined in a project take precedence over the ones below.
-#}

{#- ---- dateadd(datepart, interval, from_date_or_timestamp) ---- -#}
{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
{{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}

{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}

    dateadd(
        {{ datepart }},
        {{ interval }},
        {{ from_date_or_timestamp }}
        )

{% endmacro %}

{#- duckdb: multiply a one-unit interval by the (possibly non-literal) amount;
    quarter and week are spelled as 3 months / 7 days. Renders two newlines and
    four spaces before the expression. -#}
{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) %}

    {% set unit = datepart | lower -%}
    {%- set amount = 'cast(' ~ interval ~ ' as bigint)' -%}
    {%- if unit == 'quarter' -%}
        ({{ from_date_or_timestamp }} + ({{ amount }} * 3) * interval 1 month)
    {%- elif unit == 'week' -%}
        ({{ from_date_or_timestamp }} + ({{ amount }} * 7) * interval 1 day)
    {%- else -%}
        ({{ from_date_or_timestamp }} + {{ amount }} * interval 1 {{ unit }})
    {%- endif -%}
{% endmacro %}

{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) %}

    {{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))

{% endmacro %}


{#- ---- datediff(first_date, second_date, datepart) ---- -#}
{% macro datediff(first_date, second_date, datepart) -%}
{{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}

{% macro default__datediff(first_date, second_date, datepart) -%}
    datediff(
        {{ datepart }},
        {{ first_date }},
        {{ second_date }}
        )
{%- endmacro %}

{#- shared by duckdb and postgres: whole weeks between two dates, counted the
    way dbt's tests expect (partial weeks adjusted by day of week) -#}
{% macro _dbtc_week_diff(first_date, second_date, int_div) -%}
({{ datediff(first_date, second_date, 'day') }} {{ int_div }} 7 + case
            when date_part('dow', ({{ first_date }})::timestamp) <= date_part('dow', ({{ second_date }})::timestamp) then
                case when {{ first_date }} <= {{ second_date }} then 0 else -1 end
            else
                case when {{ first_date }} <= {{ second_date }} then 1 else 0 end
        end)
{%- endmacro %}

{% macro duckdb__datediff(first_date, second_date, datepart) -%}
    {% if datepart == 'week' %}
            {{ _dbtc_week_diff(first_date, second_date, '//') }}
    {% else %}
        (date_diff('{{ datepart }}', {{ first_date }}::timestamp, {{ second_date }}::timestamp ))
    {% endif %}
{%- endmacro %}

{% macro postgres__datediff(first_date, second_date, datepart) -%}
    {% set a_date = '(' ~ first_date ~ ')::date' -%}
    {%- set b_date = '(' ~ second_date ~ ')::date' -%}
    {%- set a_ts = '(' ~ first_date ~ ')::timestamp' -%}
    {%- set b_ts = '(' ~ second_date ~ ')::timestamp' -%}
    {%- if datepart == 'year' %}
        (date_part('year', {{ b_date }}) - date_part('year', {{ a_date }}))
    {% elif datepart == 'quarter' %}
        ({{ datediff(first_date, second_date, 'year') }} * 4 + date_part('quarter', {{ b_date }}) - date_part('quarter', {{ a_date }}))
    {% elif datepart == 'month' %}
        ({{ datediff(first_date, second_date, 'year') }} * 12 + date_part('month', {{ b_date }}) - date_part('month', {{ a_date }}))
    {% elif datepart == 'day' %}
        ({{ b_date }} - {{ a_date }})
    {% elif datepart == 'week' %}
        {{ _dbtc_week_diff(first_date, second_date, '/') }}
    {% elif datepart == 'hour' %}
        ({{ datediff(first_date, second_date, 'day') }} * 24 + date_part('hour', {{ b_ts }}) - date_part('hour', {{ a_ts }}))
    {% elif datepart == 'minute' %}
        ({{ datediff(first_date, second_date, 'hour') }} * 60 + date_part('minute', {{ b_ts }}) - date_part('minute', {{ a_ts }}))
    {% elif datepart == 'second' %}
        ({{ datediff(first_date, second_date, 'minute') }} * 60 + floor(date_part('second', {{ b_ts }})) - floor(date_part('second', {{ a_ts }})))
    {% elif datepart == 'millisecond' %}
        ({{ datediff(first_date, second_date, 'minute') }} * 60000 + floor(date_part('millisecond', {{ b_ts }})) - floor(date_part('millisecond', {{ a_ts }})))
    {% elif datepart == 'microsecond' %}
        ({{ datediff(first_date, second_date, 'minute') }} * 60000000 + floor(date_part('microsecond', {{ b_ts }})) - floor(date_part('microsecond', {{ a_ts }})))
    {% else %}
        {{ exceptions.raise_compiler_error("Unsupported datepart for macro datediff in postgres: '" ~ datepart ~ "'") }}
    {% endif %}
{%- endmacro %}


{#- ---- date_trunc(datepart, date) ---- -#}
{% macro date_trunc(datepart, date) -%}
{{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}

{% macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}


{#- ---- last_day(date, datepart) ---- -#}
{% macro last_day(date, datepart) -%}
{{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}

{#- truncate, step one period forward, step one day back -#}
{% macro default_last_day(date, datepart) -%}
cast(
        {{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }}
        as date)
{%- endmacro %}

{% macro default__last_day(date, datepart) -%}
{{ dbt.default_last_day(date, datepart) }}
{%- endmacro %}

{#- duckdb and postgres step a quarter forward as three months -#}
{% macro _dbtc_last_day_quarter_as_months(date, datepart, adapter_name) -%}
{%- if datepart == 'quarter' -%}
-- {{ adapter_name }} dateadd does not support quarter interval.
    cast(
        {{ dbt.dateadd('day', '-1', dbt.dateadd('month', '3', dbt.date_trunc(datepart, date))) }}
        as date)
{%- else -%}
{{ dbt.default_last_day(date, datepart) }}
{%- endif -%}
{%- endmacro %}

{% macro duckdb__last_day(date, datepart) -%}
{{ _dbtc_last_day_quarter_as_months(date, datepart, 'duckdb') }}
{%- endmacro %}

{% macro postgres__last_day(date, datepart) -%}
{{ _dbtc_last_day_quarter_as_months(date, datepart, 'postgres') }}
{%- endmacro %}


{#- ---- date(year, month, day): a date literal ---- -#}
{% macro date(year, month, day) -%}
{{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}
{%- endmacro %}

{% macro default__date(year, month, day) -%}
    {#- ISO date; month and day zero-padded, the year printed as is -#}
    {%- set m = ('0' ~ month)[-2:] -%}
    {%- set d = ('0' ~ day)[-2:] -%}
    to_date('{{ year }}-{{ m }}-{{ d }}', 'YYYY-MM-DD')
{%- endmacro %}

{% macro duckdb__date(year, month, day) -%}
make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}


{#- ---- current_timestamp() and snapshot times ---- -#}
{% macro current_timestamp() -%}
{{ adapter.dispatch('current_timestamp', 'dbt')() }}
{%- endmacro %}

{% macro default__current_timestamp() -%}
{{ exceptions.raise_not_implemented('current_timestamp macro not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__current_timestamp() -%}
now()
{%- endmacro %}

{% macro postgres__current_timestamp() -%}
now()
{%- endmacro %}

{% macro snapshot_get_time() -%}
{{ adapter.dispatch('snapshot_get_time', 'dbt')() }}
{%- endmacro %}

{% macro default__snapshot_get_time() %}
    {{ current_timestamp() }}
{% endmacro %}

{% macro duckdb__snapshot_get_time() -%}
{{ current_timestamp() }}::timestamp
{%- endmacro %}

{% macro postgres__snapshot_get_time() -%}
{{ current_timestamp() }}::timestamp without time zone
{%- endmacro %}

{% macro snapshot_string_as_time(timestamp) -%}
{{ adapter.dispatch('snapshot_string_as_time', 'dbt')(timestamp) }}
{%- endmacro %}

{% macro default__snapshot_string_as_time(timestamp) -%}
{{ exceptions.raise_not_implemented('snapshot_string_as_time macro not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__snapshot_string_as_time(timestamp) -%}
{{ return("'" ~ timestamp ~ "'::timestamp") }}
{%- endmacro %}

{% macro postgres__snapshot_string_as_time(timestamp) -%}
{{ return("'" ~ timestamp ~ "'::timestamp without time zone") }}
{%- endmacro %}

{#- kept for projects that relied on the old dbt_utils.current_timestamp -#}
{% macro current_timestamp_backcompat() -%}
{{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}
{%- endmacro %}

{% macro default__current_timestamp_backcompat() %}
    current_timestamp::timestamp
{% endmacro %}

{% macro postgres__current_timestamp_backcompat() %}
    current_timestamp::{{ type_timestamp() }}
{% endmacro %}

{% macro current_timestamp_in_utc_backcompat() -%}
{{ return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) }}
{%- endmacro %}

{% macro default__current_timestamp_in_utc_backcompat() -%}
{{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}
{%- endmacro %}

{% macro postgres__current_timestamp_in_utc_backcompat() %}
    (current_timestamp at time zone 'utc')::{{ type_timestamp() }}
{% endmacro %}


{#- ---- series and spines ---- -#}
{% macro get_powers_of_two(upper_bound) -%}
{{ return(adapter.dispatch('get_powers_of_two', 'dbt')(upper_bound)) }}
{%- endmacro %}

{#- smallest n (1..99) with 2**n >= upper_bound -#}
{% macro default__get_powers_of_two(upper_bound) -%}
    {%- if upper_bound <= 0 -%}
        {{ exceptions.raise_compiler_error("upper bound must be positive") }}
    {%- endif -%}
    {%- set found = namespace(n=none) -%}
    {%- for n in range(1, 100) -%}
        {%- if found.n is none and upper_bound <= 2 ** n -%}
            {%- set found.n = n -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found.n) }}
{%- endmacro %}

{% macro generate_series(upper_bound) -%}
{{ return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) }}
{%- endmacro %}

{#- cross join n copies of {0, 1} and read them as binary digits; each term
    and each joined copy sits on its own line, as dbt-core renders it -#}
{% macro default__generate_series(upper_bound) %}

    {% set n = dbt.get_powers_of_two(upper_bound) %}

    with p as (
        select 0 as generated_number union all select 1
    ), unioned as (

    select

    {% for i in range(n) %}
    p{{ i }}.generated_number * power(2, {{ i }})
    {% if not loop.last %} + {% endif %}
    {% endfor %}
    + 1
    as generated_number

    from

    {% for i in range(n) %}
    p as p{{ i }}
    {% if not loop.last %} cross join {% endif %}
    {% endfor %}

    )

    select *
    from unioned
    where generated_number <= {{ upper_bound }}
    order by generated_number

{% endmacro %}

{% macro duckdb__generate_series(upper_bound) %}
    select
        generate_series as generated_number
    from generate_series(1, {{ upper_bound }})
{% endmacro %}

{% macro get_intervals_between(start_date, end_date, datepart) -%}
{{ return(adapter.dispatch('get_intervals_between', 'dbt')(start_date, end_date, datepart)) }}
{%- endmacro %}

{#- runs a query: needs statement() / load_result() -#}
{% macro default__get_intervals_between(start_date, end_date, datepart) -%}
    {%- call statement('get_intervals_between', fetch_result=True) %}
        select {{ dbt.datediff(start_date, end_date, datepart) }}
    {%- endcall -%}
    {%- set result = load_result('get_intervals_between') -%}
    {%- if result and result['data'] -%}
        {{ return(result['data'][0][0]) }}
    {%- else -%}
        {{ return(1) }}
    {%- endif -%}
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
{{ return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) }}
{%- endmacro %}

{#- one row per datepart from start_date (inclusive) to end_date (exclusive);
    e.g. date_spine("day", "cast('2024-01-01' as date)", "current_date") -#}
{% macro default__date_spine(datepart, start_date, end_date) %}


    {# the series counts the intervals between the two dates (a query) #}


    with rawdata as (

        {{ dbt.generate_series(dbt.get_intervals_between(start_date, end_date, datepart)) }}

    ),

    all_periods as (

        select (
            {{ dbt.dateadd(datepart, "row_number() over (order by 1) - 1", start_date) }}
        ) as date_{{ datepart }}
        from rawdata

    ),

    filtered as (

        select *
        from all_periods
        where date_{{ datepart }} <= {{ end_date }}

    )

    select * from filtered

{% endmacro %}

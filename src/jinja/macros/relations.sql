{#-
  dbtc built-in macros: relation lookups of the `dbt` package. Without a database they
  answer through `adapter`, which marks the node introspective (see context.rs).
-#}

{% macro load_cached_relation(relation) -%}
    {%- do return(adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier
    )) -%}
{%- endmacro %}

{% macro load_relation(relation) -%}
    {{ return(load_cached_relation(relation)) }}
{%- endmacro %}

{% macro get_columns_in_relation(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation)) }}
{%- endmacro %}

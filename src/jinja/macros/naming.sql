{#-
  dbtc built-in macros: naming of database, schema and alias for nodes.
  These are dbtc's own implementations, written to give the same names as
  dbt-core 1.11. A project overrides them by defining generate_schema_name
  (or default__generate_schema_name, <adapter>__generate_schema_name, ...).

  Rules (dbt's documented semantics):
    schema:   no custom schema -> target.schema;
              custom schema    -> target.schema ~ '_' ~ (custom | trim)
    alias:    custom alias     -> custom | trim;
              versioned model  -> name ~ '_v' ~ version (dots become '_');
              otherwise        -> node.name
    database: no custom database -> target.database; otherwise the custom one
-#}

{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_schema_name', 'dbt')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#- custom schema used as-is only when the target is named 'prod' -#}
{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
    {%- if target.name == 'prod' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}


{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_alias_name', 'dbt')(custom_alias_name, node)) }}
{%- endmacro %}

{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}
        {{ custom_alias_name | trim }}
    {%- elif node.version -%}
        {{ return(node.name ~ '_v' ~ ((node.version | string) | replace('.', '_'))) }}
    {%- else -%}
        {{ node.name }}
    {%- endif -%}
{%- endmacro %}


{% macro generate_database_name(custom_database_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_database_name', 'dbt')(custom_database_name, node)) }}
{%- endmacro %}

{#- a node attached to a catalog integration takes that catalog's database
    (only when the adapter object offers build_catalog_relation) -#}
{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
    {%- set catalog_relation = none -%}
    {%- if node is not none and node.database and adapter.build_catalog_relation is defined -%}
        {%- set catalog_relation = adapter.build_catalog_relation(node) -%}
    {%- endif -%}
    {%- if catalog_relation and catalog_relation.catalog_database -%}
        {{ return(catalog_relation.catalog_database) }}
    {%- elif custom_database_name is none -%}
        {{ target.database }}
    {%- else -%}
        {{ custom_database_name }}
    {%- endif -%}
{%- endmacro %}


{#- alias of the unversioned pointer to a versioned model's latest version -#}
{% macro generate_latest_version_pointer_alias(custom_alias_name=none, node=none) -%}
{{ return(adapter.dispatch('generate_latest_version_pointer_alias', 'dbt')(custom_alias_name, node)) }}
{%- endmacro %}

{% macro default__generate_latest_version_pointer_alias(custom_alias_name=none, node=none) -%}
    {%- if custom_alias_name -%}
        {{ custom_alias_name | trim }}
    {%- else -%}
        {{ node.name }}
    {%- endif -%}
{%- endmacro %}

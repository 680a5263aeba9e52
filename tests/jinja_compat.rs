//! Jinja2 behaviour that dbt packages (dbt_utils, dbt_date, dbt_expectations) rely on and
//! minijinja lacks, rendered through a whole in-memory project. The expected SQL is what
//! dbt-core 1.11 compiles for the same templates.

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, NodeKey, RootDb};
use dbtc::jinja::nodes::rendered_node;
use dbtc::project::{LoadOptions, load_project};

const MACROS: &str = r#"
{% macro concat_all() -%}
    {{ varargs | join(' || ') }}{% if kwargs %} /* {{ kwargs | dictsort }} */{% endif %}
{%- endmacro %}

{% macro pass_through(first) -%}
    {{ concat_all(first, *varargs, **kwargs) }}
{%- endmacro %}

{% macro each_item(items) -%}
    {%- for i in items %}{{ caller(i) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{% macro is_relation(obj) -%}
    {{ return(obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')) }}
{%- endmacro %}

{% macro days_before(day, n) -%}
    {{ return((modules.datetime.date.fromisoformat(day) - modules.datetime.timedelta(days=n)).isoformat()) }}
{%- endmacro %}

{% macro first_values(sql) -%}
    {%- set results = run_query(sql) -%}
    {%- if execute -%}
        {{ return(results.columns[0].values()) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}
"#;

fn compile(models: &[(&str, &str)]) -> (RootDb, dbtc::db::Project) {
    let fs = MemSystem::default();
    fs.write("/p/dbt_project.yml", "name: p\nprofile: p\n");
    fs.write(
        "/p/profiles.yml",
        "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    );
    fs.write("/p/macros/m.sql", MACROS);
    for (name, sql) in models {
        fs.write(format!("/p/models/{name}.sql"), *sql);
    }
    let db = RootDb::default();
    let mut opts = LoadOptions::in_dir("/p");
    // These models check Jinja output, not SQL: static analysis is beside the point.
    opts.settings.static_analysis = Some("off".into());
    let project = load_project(&db, &fs, &opts);
    (db, project)
}

fn sql(db: &RootDb, project: dbtc::db::Project, name: &str) -> String {
    let out = compile_project(db, project, None);
    assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
    let node = out
        .nodes
        .into_iter()
        .find(|n| n.unique_id == format!("model.p.{name}"))
        .expect("node");
    node.sql
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn macros_take_varargs_kwargs_and_callers_with_arguments() {
    let (db, project) = compile(&[(
        "m",
        "{{ concat_all('a', 'b') }} | {{ concat_all('a', sep='x') }} | {{ pass_through('p', 'q', z=1) }} | {% call(item) each_item([1, 2]) %}<{{ item }}>{% endcall %}",
    )]);
    assert_eq!(
        sql(&db, project, "m"),
        "a || b | a /* [('sep', 'x')] */ | p || q /* [('z', 1)] */ | <1>, <2>"
    );
}

#[test]
fn python_operators_and_methods() {
    let (db, project) = compile(&[(
        "m",
        "{% set xs = [] %}{% do xs.append(1) or xs.append(2) %}{% do xs %}\
         {{ '%s-%05.1f' % ('x', 2.5) }} {{ '%(a)s' % {'a': xs} }} {{ 'ab'.center(6, '*') }} \
         {{ '7'.zfill(3) }} {{ 'a-b_c'.partition('_') }} {{ {'k': 1}.items() | list }} \
         {{ modules.re.sub('[^a-z]', '', 'a1b2') }} {{ modules.datetime.date(2023, 5, 17).strftime('%Y/%m/%d') }}",
    )]);
    assert_eq!(
        sql(&db, project, "m"),
        "x-002.5 [1, 2] **ab** 007 ('a-b', '_', 'c') [('k', 1)] ab 2023/05/17"
    );
}

#[test]
fn relations_are_mappings_and_api_creates_them() {
    let (db, project) = compile(&[
        ("a", "select 1 as id"),
        (
            "b",
            "{{ is_relation(ref('a')) }} {{ is_relation('x') }} {{ ref('a').get('metadata') }} \
             {{ api.Relation.create(database='d', schema='s', identifier='t') }} \
             {{ api.Relation.create(identifier='t').include(database=false) }} {{ ref('a').path }}",
        ),
    ]);
    assert_eq!(
        sql(&db, project, "b"),
        "True False {'type': 'DuckDBRelation'} \"d\".\"s\".\"t\" \"t\" Path(database='dev', schema='main', identifier='a')"
    );
}

#[test]
fn queries_return_empty_results_and_mark_the_node_introspective() {
    let (db, project) = compile(&[
        ("plain", "select 1"),
        (
            "q",
            "{% set v = first_values('select 1') %}select {{ v | length }}, {{ v }}\
             {% call statement('s', fetch_result=true) %}select 1{% endcall %} \
             {{ load_result('s')['data'] }} {{ load_result('never') is none }}",
        ),
    ]);
    assert_eq!(sql(&db, project, "q"), "select 0, () [] True");
    let introspective =
        |uid: &str| rendered_node(&db, project, NodeKey::new(&db, uid.to_string())).introspective;
    assert!(introspective("model.p.q"));
    assert!(!introspective("model.p.plain"));
}

#[test]
fn datetime_arithmetic_in_macros_and_models() {
    let (db, project) = compile(&[(
        "d",
        "{% set ny = modules.pytz.timezone('America/New_York') %}\
         {% set start = ny.localize(modules.datetime.datetime(2024, 3, 9, 12)) %}\
         {{ days_before('2024-03-01', 1) }} {{ (start + modules.datetime.timedelta(days=1)).isoformat() }} \
         {{ ny.normalize(start + modules.datetime.timedelta(days=1)).isoformat() }} \
         {{ (run_started_at - run_started_at).total_seconds() }} {{ 1 + 2 - 4 }} {{ 'a' + 'b' }} \
         {% for i in range(2) %}{{ loop.index - 1 }}{% endfor %}",
    )]);
    // What Jinja2 with Python's datetime and pytz renders for the same template.
    assert_eq!(
        sql(&db, project, "d"),
        "2024-02-29 2024-03-10T12:00:00-05:00 2024-03-10T13:00:00-04:00 0.0 -1 ab 01"
    );
}

//! Static analysis in the pipeline: what an edit re-analyzes (counted from salsa's
//! execution events), static_analysis modes, diagnostics mapped to the template, and
//! lineage.json / `dbtc lineage` on a real project directory.

mod common;

use std::path::Path;

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, NodeKey, RootDb, count_executed};
use dbtc::project::{LoadOptions, apply_changes, load_project};
use dbtc::sql::analysis::{model_schema, node_analysis};

const ROOT: &str = "/proj";

fn files(fs: &MemSystem) {
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write("/proj/profiles.yml", "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n");
    fs.write(
        "/proj/seeds/raw.csv",
        "id,amount_cents,note\n1,250,a\n2,300,b\n",
    );
    fs.write(
        "/proj/models/a.sql",
        "select id, amount_cents from {{ ref('raw') }}",
    );
    fs.write(
        "/proj/models/b.sql",
        "select id, amount_cents / 100.0 as amount from {{ ref('a') }}",
    );
    fs.write(
        "/proj/models/c.sql",
        "select id, amount from {{ ref('b') }} where amount > 1",
    );
}

fn setup() -> (RootDb, MemSystem, dbtc::db::Project) {
    let fs = MemSystem::default();
    files(&fs);
    let db = RootDb::with_execution_log();
    let project = load_project(&db, &fs, &LoadOptions::in_dir(ROOT));
    db.record_executions();
    let out = compile_project(&db, project, None);
    assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
    db.take_executed();
    (db, fs, project)
}

fn edit(
    db: &mut RootDb,
    fs: &MemSystem,
    project: dbtc::db::Project,
    path: &str,
    text: &str,
) -> (Vec<String>, Vec<dbtc::diagnostics::Diagnostic>) {
    fs.write(path, text);
    apply_changes(db, fs, project, Some(&[Path::new(path).to_path_buf()]));
    let out = compile_project(db, project, None);
    (db.take_executed(), out.diagnostics)
}

fn columns(db: &RootDb, project: dbtc::db::Project, uid: &str) -> Vec<(String, String)> {
    model_schema(db, project, NodeKey::new(db, uid.to_string()))
        .as_ref()
        .map(|s| {
            s.columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn schemas_flow_from_seeds_through_models() {
    let (db, _fs, project) = setup();
    assert_eq!(
        columns(&db, project, "model.demo.b"),
        [
            ("id".to_string(), "INTEGER".to_string()),
            ("amount".to_string(), "DOUBLE".to_string())
        ]
    );
    let schema = model_schema(&db, project, NodeKey::new(&db, "model.demo.c".to_string()))
        .clone()
        .unwrap();
    let kinds: Vec<String> = schema.columns[1]
        .lineage
        .iter()
        .map(|e| format!("{}.{}:{}", e.node, e.column, e.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        ["model.demo.b.amount:copy", "model.demo.b.amount:filter"]
    );
}

#[test]
fn a_body_edit_that_keeps_the_schema_reanalyzes_only_that_model() {
    let (mut db, fs, project) = setup();
    let (log, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/a.sql",
        "select id, amount_cents from {{ ref('raw') }} where id > 0",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(count_executed(&log, "node_analysis"), 1, "{log:?}");
}

#[test]
fn a_schema_change_reanalyzes_children_and_stops_where_schemas_stay_equal() {
    let (mut db, fs, project) = setup();
    // a's `id` becomes BIGINT: b is re-analyzed (its `id` changes type too), so is c.
    let (log, _) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/a.sql",
        "select id::bigint as id, amount_cents from {{ ref('raw') }}",
    );
    assert_eq!(count_executed(&log, "node_analysis"), 3, "{log:?}");
    // a gains a column b does not select: b is re-analyzed, its schema is unchanged, c is not.
    let (log, _) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/a.sql",
        "select id::bigint as id, amount_cents, 1 as extra from {{ ref('raw') }}",
    );
    assert_eq!(count_executed(&log, "node_analysis"), 2, "{log:?}");
}

#[test]
fn errors_point_at_the_template_and_modes_change_severity() {
    let (mut db, fs, project) = setup();
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "{{ config(materialized='table') }}\nselect id,\n  amountt\nfrom {{ ref('b') }}",
    );
    let d = diags
        .iter()
        .find(|d| d.code == "E4002")
        .expect("unknown column");
    assert!(d.is_error());
    let span = d.span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (3, 3), "{d:?}");
    assert_eq!(d.hint.as_deref(), Some("did you mean \"amount\"?"));
    // baseline: the same finding is a warning
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "{{ config(materialized='table', static_analysis='baseline') }}\nselect id,\n  amountt\nfrom {{ ref('b') }}",
    );
    let d = diags
        .iter()
        .find(|d| d.code == "E4002")
        .expect("unknown column");
    assert!(!d.is_error());
    // off on a parent turns analysis off for its descendants too
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select id, amountt from {{ ref('b') }}",
    );
    assert!(diags.iter().any(|d| d.code == "E4002"));
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/b.sql",
        "{{ config(static_analysis='off') }} select id, amount_cents / 100.0 as amount from {{ ref('a') }}",
    );
    assert!(!diags.iter().any(|d| d.code == "E4002"), "{diags:?}");
    assert!(
        node_analysis(&db, project, NodeKey::new(&db, "model.demo.c".to_string()))
            .schema
            .is_none()
    );
}

#[test]
fn lineage_json_and_the_lineage_command() {
    let (_tmp, dir) = common::fixture_copy("shop");
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(dir.join("target/lineage.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let nodes = doc["nodes"].as_object().unwrap();
    assert!(
        nodes.contains_key("model.shop.stg_teas"),
        "{:?}",
        nodes.keys()
    );
    let (code, out) = common::dbtc_cli(
        "lineage",
        &dir,
        &["stg_teas", "--upstream", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"]["node"].as_str().unwrap().starts_with("seed.")),
        "{out}"
    );
}

/// Model c rewritten to `template`, which must compile without findings: its render.
fn render_c(
    db: &mut RootDb,
    fs: &MemSystem,
    project: dbtc::db::Project,
    template: &str,
) -> dbtc::jinja::nodes::RenderedNode {
    let (_, diags) = edit(db, fs, project, "/proj/models/c.sql", template);
    assert!(diags.is_empty(), "{diags:?}");
    let key = NodeKey::new(&*db, "model.demo.c".to_string());
    dbtc::jinja::nodes::rendered_node(&*db, project, key).clone()
}

#[test]
fn columns_of_a_ref_are_answered_from_its_schema_ahead_of_time() {
    let (mut db, fs, project) = setup();
    let rendered = render_c(
        &mut db,
        &fs,
        project,
        "select {% for col in adapter.get_columns_in_relation(ref('b')) %}{{ col.name }} /* {{ col.data_type }} */{{ ', ' if not loop.last }}{% endfor %} from {{ ref('b') }}",
    );
    let key = NodeKey::new(&db, "model.demo.c".to_string());
    assert!(!rendered.introspective);
    assert_eq!(
        rendered.sql.as_deref(),
        Some("select id /* INTEGER */, amount /* DOUBLE */ from \"dev\".\"main\".\"b\"")
    );
    // A change of b's columns re-renders c; a body edit that keeps them does not.
    let (log, _) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/b.sql",
        "select id, amount_cents / 100.0 as amount from {{ ref('a') }} where id > 0",
    );
    assert_eq!(count_executed(&log, "rendered_node"), 1, "{log:?}");
    let (log, _) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/b.sql",
        "select id, amount_cents / 100.0 as amount, 1 as one from {{ ref('a') }}",
    );
    assert_eq!(count_executed(&log, "rendered_node"), 2, "{log:?}");
    let sql = dbtc::jinja::nodes::rendered_node(&db, project, key)
        .sql
        .clone()
        .unwrap();
    assert!(sql.contains("one /* INTEGER */"), "{sql}");
}

#[test]
fn postgres_targets_check_names_but_not_duckdb_functions() {
    let fs = MemSystem::default();
    files(&fs);
    fs.write("/proj/profiles.yml", "demo:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: localhost\n      user: u\n      password: p\n      dbname: d\n      schema: public\n");
    fs.write("/proj/models/c.sql", "select id, to_char(now(), 'YYYY') as y, jsonb_agg(amount) as j, amountt from {{ ref('b') }} group by id");
    let db = RootDb::default();
    let project = load_project(&db, &fs, &LoadOptions::in_dir(ROOT));
    let out = compile_project(&db, project, None);
    let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E4002"], "{:?}", out.diagnostics);
}

#[test]
fn duckdb_syntax_sqlparser_lacks_is_not_an_error() {
    let (mut db, fs, project) = setup();
    // ASOF JOIN: valid DuckDB that sqlparser 0.64 cannot parse.
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select b.id from {{ ref('b') }} b asof join {{ ref('a') }} a on b.id >= a.id",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let (_, diags) = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select id, from from {{ ref('b') }}",
    );
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["E4001"],
        "{diags:?}"
    );
}

#[test]
fn string_columns_are_spelled_as_dbt_spells_them() {
    let (mut db, fs, project) = setup();
    let sql = render_c(
        &mut db,
        &fs,
        project,
        "select {% for col in adapter.get_columns_in_relation(ref('raw')) %}{{ col.name }} /* {{ col.data_type }} {{ col.dtype }} {{ col.is_string() }} */{{ ', ' if not loop.last }}{% endfor %} from {{ ref('raw') }}",
    )
    .sql
    .unwrap();
    // dbt-core's Column.data_type: strings as `character varying(256)` without a size.
    assert!(
        sql.contains("note /* character varying(256) VARCHAR True */")
            && sql.contains("id /* INTEGER INTEGER False */"),
        "{sql}"
    );
}

#[test]
fn nodes_on_a_ref_cycle_are_skipped_and_only_they() {
    use dbtc::sql::analysis::Status;
    let fs = MemSystem::default();
    files(&fs);
    // x -> y -> x is a cycle; z reads x (downstream of the cycle, not on it).
    fs.write("/proj/models/x.sql", "select id from {{ ref('y') }}");
    fs.write("/proj/models/y.sql", "select id from {{ ref('x') }}");
    fs.write("/proj/models/z.sql", "select id from {{ ref('x') }}");
    let mut db = RootDb::with_execution_log();
    let project = load_project(&db, &fs, &LoadOptions::in_dir(ROOT));
    compile_project(&db, project, None);
    let status = |db: &RootDb, name: &str| {
        let key = NodeKey::new(db, format!("model.demo.{name}"));
        node_analysis(db, project, key).status.clone()
    };
    let on_cycle = Some(Status::Skipped("it is on a ref cycle"));
    assert_eq!(status(&db, "x"), on_cycle);
    assert_eq!(status(&db, "y"), on_cycle);
    assert_ne!(status(&db, "z"), on_cycle);
    assert_eq!(status(&db, "c"), Some(Status::Analyzed));
    // Breaking the cycle: both are analyzed again.
    edit(
        &mut db,
        &fs,
        project,
        "/proj/models/y.sql",
        "select 1 as id",
    );
    assert_eq!(status(&db, "x"), Some(Status::Analyzed));
    assert_eq!(status(&db, "y"), Some(Status::Analyzed));
    assert_eq!(status(&db, "z"), Some(Status::Analyzed));
}

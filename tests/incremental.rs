//! Edits re-execute only what they can change: counted from salsa's WillExecute events.

use std::path::Path;

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, RootDb, count_executed};
use dbtc::project::{LoadOptions, apply_changes, load_project};

const ROOT: &str = "/proj";

fn project_files(fs: &MemSystem) {
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write("/proj/profiles.yml", "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n");
    fs.write("/proj/macros/money.sql", "{% macro cents(col) %}({{ col }} / 100.0){% endmacro %}\n{% macro unused() %}1{% endmacro %}\n");
    fs.write("/proj/models/a.sql", "select 1 as id, 250 as amount_cents");
    fs.write(
        "/proj/models/b.sql",
        "select id, {{ cents('amount_cents') }} as amount from {{ ref('a') }}",
    );
    fs.write("/proj/models/c.sql", "select id from {{ ref('b') }}");
    fs.write("/proj/models/d.sql", "select {{ cents('1') }} as x");
}

fn setup() -> (RootDb, MemSystem, dbtc::db::Project) {
    let fs = MemSystem::default();
    project_files(&fs);
    let db = RootDb::with_execution_log();
    let opts = LoadOptions::in_dir(ROOT);
    let project = load_project(&db, &fs, &opts);
    db.record_executions();
    let out = compile_project(&db, project, None);
    assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
    db.take_executed();
    (db, fs, project)
}

fn sql_of(db: &RootDb, project: dbtc::db::Project, uid: &str) -> String {
    compile_project(db, project, None)
        .nodes
        .into_iter()
        .find(|n| n.unique_id == uid)
        .and_then(|n| n.sql.map(|s| s.to_string()))
        .unwrap_or_default()
}

fn edit(
    db: &mut RootDb,
    fs: &MemSystem,
    project: dbtc::db::Project,
    path: &str,
    text: &str,
) -> Vec<String> {
    fs.write(path, text);
    apply_changes(db, fs, project, Some(&[Path::new(path).to_path_buf()]));
    let out = compile_project(db, project, None);
    let _ = out;
    db.take_executed()
}

#[test]
fn noop_recompile_executes_nothing() {
    let (db, _fs, project) = setup();
    compile_project(&db, project, None);
    let log = db.take_executed();
    assert!(log.is_empty(), "{log:?}");
}

#[test]
fn editing_a_leaf_model_rerenders_only_it() {
    let (mut db, fs, project) = setup();
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select id, 2 as two from {{ ref('b') }}",
    );
    assert_eq!(count_executed(&log, "parsed_node"), 1, "{log:?}");
    assert_eq!(count_executed(&log, "rendered_node"), 1, "{log:?}");
    assert!(sql_of(&db, project, "model.demo.c").contains("2 as two"));
}

#[test]
fn editing_a_parent_body_does_not_rerender_children() {
    let (mut db, fs, project) = setup();
    // The relation of `a` does not change, so b (which refs a) is not re-rendered.
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/a.sql",
        "select 2 as id, 250 as amount_cents",
    );
    assert_eq!(count_executed(&log, "rendered_node"), 1, "{log:?}");
}

#[test]
fn editing_a_macro_rerenders_only_its_callers() {
    let (mut db, fs, project) = setup();
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/macros/money.sql",
        "{% macro cents(col) %}({{ col }} / 1000.0){% endmacro %}\n{% macro unused() %}1{% endmacro %}\n",
    );
    // b and d call cents(); a and c do not.
    assert_eq!(count_executed(&log, "rendered_node"), 2, "{log:?}");
    assert!(sql_of(&db, project, "model.demo.b").contains("/ 1000.0"));
}

#[test]
fn editing_an_unused_macro_rerenders_nothing() {
    let (mut db, fs, project) = setup();
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/macros/money.sql",
        "{% macro cents(col) %}({{ col }} / 100.0){% endmacro %}\n{% macro unused() %}2{% endmacro %}\n",
    );
    assert_eq!(count_executed(&log, "rendered_node"), 0, "{log:?}");
    assert_eq!(count_executed(&log, "parsed_node"), 0, "{log:?}");
}

#[test]
fn a_ref_cycle_is_a_diagnostic() {
    let (mut db, fs, project) = setup();
    edit(
        &mut db,
        &fs,
        project,
        "/proj/models/a.sql",
        "select * from {{ ref('c') }}",
    );
    let out = compile_project(&db, project, None);
    let cycle = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E3003")
        .expect("cycle diagnostic");
    assert!(cycle.message.contains("model.demo.a"), "{}", cycle.message);
    // d is outside the cycle and still compiles.
    assert!(
        out.nodes
            .iter()
            .any(|n| n.unique_id == "model.demo.d" && n.sql.is_some())
    );
}

#[test]
fn unknown_ref_suggests_a_name() {
    let (mut db, fs, project) = setup();
    edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select id from {{ ref('bb') }}",
    );
    let out = compile_project(&db, project, None);
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E3001")
        .expect("unknown ref");
    assert_eq!(d.hint.as_deref(), Some("did you mean `ref('b')`?"));
    assert_eq!(d.span.as_ref().map(|s| s.line), Some(1));
}

#[test]
fn bad_jinja_and_bad_yaml_do_not_stop_the_rest() {
    let (mut db, fs, project) = setup();
    edit(
        &mut db,
        &fs,
        project,
        "/proj/models/c.sql",
        "select {{ ref('b' }}",
    );
    fs.write(
        "/proj/models/schema.yml",
        "models:\n  - name: a\n    description: [unclosed\n",
    );
    apply_changes(&mut db, &fs, project, None);
    let out = compile_project(&db, project, None);
    assert!(
        out.diagnostics.iter().any(|d| d.code == "E2001"),
        "{:?}",
        out.diagnostics
    );
    assert!(
        out.diagnostics.iter().any(|d| d.code == "E1001"),
        "{:?}",
        out.diagnostics
    );
    assert!(
        out.nodes
            .iter()
            .any(|n| n.unique_id == "model.demo.b" && n.sql.is_some())
    );
}

#[test]
fn creating_a_model_renders_only_the_new_one() {
    let (mut db, fs, project) = setup();
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/e.sql",
        "select 5 as five",
    );
    // parse + compile render of e only: the other nodes' refs resolve as before.
    assert_eq!(count_executed(&log, "rendered_node"), 1, "{log:?}");
    assert_eq!(count_executed(&log, "parsed_node"), 1, "{log:?}");
    assert!(sql_of(&db, project, "model.demo.e").contains("5 as five"));
}

#[test]
fn a_comment_in_a_yml_rerenders_nothing() {
    let (mut db, fs, project) = setup();
    let yml = "models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [not_null, unique]\n";
    edit(&mut db, &fs, project, "/proj/models/schema.yml", yml);
    let log = edit(
        &mut db,
        &fs,
        project,
        "/proj/models/schema.yml",
        &format!("# a comment\n{yml}"),
    );
    assert_eq!(count_executed(&log, "parsed_node"), 0, "{log:?}");
    assert_eq!(count_executed(&log, "rendered_node"), 0, "{log:?}");
}

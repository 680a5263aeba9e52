//! Static analysis of data tests: generic tests (dbt's built-ins, a package's and the
//! project's `{% test %}` blocks) and singular tests are bound against their parents'
//! schemas; findings are placed at the test's yml entry (generic) or its .sql file
//! (singular), follow the parents' static_analysis modes, and block `dbtc test`/`build`
//! but not `dbtc run`.
//!
//! fixtures/test_analysis passes `dbt build` with dbt-core 1.11 (16 of 16 nodes, on
//! dbt-duckdb and on dbt-postgres); the broken files added below are the four errors
//! dbt-core reports only when the tests run (DuckDB's `Binder Error: Referenced column ...
//! not found`, Postgres' `column ... does not exist`), checked by hand with dbt-core 1.11.

mod common;

use std::path::Path;

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, NodeKey, OsSystem, Project, RootDb, count_executed};
use dbtc::diagnostics::Diagnostic;
use dbtc::project::{LoadOptions, apply_changes, load_project};
use dbtc::sql::analysis::{Status, model_schema, node_analysis};

const PAYMENTS: &str = "select order_id, customer_id, amount as paid\nfrom {{ ref('orders') }}\n";

const BROKEN_YML: &str = "version: 2

models:
  - name: payments
    data_tests:
      - checks.expression_holds:
          arguments:
            expression: \"paid_amount >= 0\"
    columns:
      - name: order_idd
        data_tests:
          - not_null
      - name: customer_id
        data_tests:
          - relationships:
              arguments:
                to: ref('customers')
                field: id
";

const BROKEN_SINGULAR: &str =
    "select order_id, totl_amount\nfrom {{ ref('orders') }}\nwhere totl_amount < 0\n";

fn load(dir: &Path, static_analysis: Option<&str>) -> (RootDb, Project) {
    let db = RootDb::default();
    let mut options = LoadOptions::in_dir(dir);
    options.settings.static_analysis = static_analysis.map(str::to_string);
    let project = load_project(&db, &OsSystem, &options);
    (db, project)
}

/// A copy of the fixture with the broken payments model, its tests and a singular test.
fn broken_copy(payments_config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, dir) = common::fixture_copy("test_analysis");
    std::fs::write(
        dir.join("models/payments.sql"),
        format!("{payments_config}{PAYMENTS}"),
    )
    .unwrap();
    std::fs::write(dir.join("models/broken.yml"), BROKEN_YML).unwrap();
    std::fs::write(dir.join("tests/assert_broken.sql"), BROKEN_SINGULAR).unwrap();
    (tmp, dir)
}

fn find<'a>(diags: &'a [Diagnostic], node_prefix: &str) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| {
            d.node
                .as_deref()
                .is_some_and(|n| n.starts_with(node_prefix))
        })
        .collect()
}

fn at(d: &Diagnostic) -> (String, usize, usize) {
    let span = d.span.as_ref().expect("a span");
    (
        d.file
            .as_ref()
            .expect("a file")
            .to_string_lossy()
            .rsplit("test_analysis/")
            .next()
            .unwrap()
            .to_string(),
        span.line,
        span.column,
    )
}

#[test]
fn valid_tests_are_analyzed_and_not_flagged() {
    let (db, project) = common::load_fixture("test_analysis");
    let out = compile_project(&db, project, None);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    // Every test was bound (not skipped), so the empty list above means something.
    let tests: Vec<&str> = out
        .nodes
        .iter()
        .map(|n| n.unique_id.as_str())
        .filter(|u| u.starts_with("test."))
        .collect();
    assert_eq!(tests.len(), 12, "{tests:?}");
    for uid in tests {
        let key = NodeKey::new(&db, uid.to_string());
        let analysis = node_analysis(&db, project, key);
        assert_eq!(analysis.status, Some(Status::Analyzed), "{uid}");
        assert!(!analysis.opaque, "{uid} bound against opaque parents");
        // A test's rows are failures, not a relation: no schema, no lineage.
        assert!(model_schema(&db, project, key).is_none(), "{uid}");
    }
}

#[test]
fn broken_tests_are_errors_at_their_declarations() {
    let (_tmp, dir) = broken_copy("");
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    assert_eq!(out.error_count(), 4, "{:#?}", out.diagnostics);
    for d in &out.diagnostics {
        assert_eq!(d.code, "E4002", "{d:?}");
    }

    let not_null = find(
        &out.diagnostics,
        "test.test_analysis.not_null_payments_order_idd",
    );
    assert_eq!(not_null.len(), 1, "{not_null:#?}");
    let d = not_null[0];
    assert!(
        d.message.starts_with(
            "column \"order_idd\" does not exist (in test not_null on payments.order_idd;"
        ),
        "{}",
        d.message
    );
    assert_eq!(at(d), ("models/broken.yml".into(), 12, 13));
    let hint = d.hint.as_deref().unwrap_or("");
    assert!(hint.contains("did you mean \"order_id\"?"), "{hint}");
    assert!(
        hint.contains("`payments` has no column `order_idd`"),
        "{hint}"
    );
    assert_eq!(d.labels.len(), 1);
    assert_eq!((d.labels[0].span.line, d.labels[0].span.column), (10, 15));

    // An argument of the test is pointed at where it is written.
    let rel = find(
        &out.diagnostics,
        "test.test_analysis.relationships_payments_customer_id",
    );
    assert_eq!(rel.len(), 1);
    assert_eq!(at(rel[0]), ("models/broken.yml".into(), 18, 24));
    let expr = find(
        &out.diagnostics,
        "test.test_analysis.checks_expression_holds_payments",
    );
    assert_eq!(expr.len(), 1);
    assert!(
        expr[0].message.contains("\"paid_amount\""),
        "{}",
        expr[0].message
    );
    assert_eq!(at(expr[0]), ("models/broken.yml".into(), 8, 26));

    // A singular test is its own template.
    let singular = find(&out.diagnostics, "test.test_analysis.assert_broken");
    assert_eq!(singular.len(), 1);
    assert_eq!(at(singular[0]), ("tests/assert_broken.sql".into(), 1, 18));

    // The fixture's valid tests stay clean next to the broken ones.
    let others = out
        .diagnostics
        .iter()
        .filter(|d| {
            let n = d.node.as_deref().unwrap_or("");
            !n.contains("payments") && !n.contains("assert_broken")
        })
        .count();
    assert_eq!(others, 0);
}

#[test]
fn tests_follow_their_parents_static_analysis_mode() {
    // baseline on the parent: the test's findings are warnings.
    let (_tmp, dir) = broken_copy("{{ config(static_analysis='baseline') }}\n");
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    let payments = find(&out.diagnostics, "test.test_analysis.not_null_payments");
    assert_eq!(payments.len(), 1);
    assert!(!payments[0].is_error());
    // The relationships test also reads `customers` (on): the weakest parent wins.
    let rel = find(
        &out.diagnostics,
        "test.test_analysis.relationships_payments",
    );
    assert!(!rel[0].is_error());
    // The singular test does not read payments: still an error.
    assert_eq!(out.error_count(), 1, "{:#?}", out.diagnostics);

    // off on the parent: the tests are not analyzed.
    let (_tmp, dir) = broken_copy("{{ config(static_analysis='off') }}\n");
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    assert!(find(&out.diagnostics, "test.test_analysis.not_null_payments").is_empty());
    assert!(
        find(
            &out.diagnostics,
            "test.test_analysis.relationships_payments"
        )
        .is_empty()
    );

    // A test's own config can weaken it, never make it stricter than its parent.
    let (_tmp, dir) = broken_copy("{{ config(static_analysis='baseline') }}\n");
    let yml = BROKEN_YML.replace(
        "          - not_null\n",
        "          - not_null:\n              config:\n                static_analysis: strict\n",
    );
    std::fs::write(dir.join("models/broken.yml"), yml).unwrap();
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    let d = find(&out.diagnostics, "test.test_analysis.not_null_payments");
    assert_eq!(d.len(), 1);
    assert!(!d[0].is_error());

    // dbt_project.yml `data_tests:` configs reach every test.
    let (_tmp, dir) = broken_copy("");
    let project_yml = std::fs::read_to_string(dir.join("dbt_project.yml")).unwrap();
    std::fs::write(
        dir.join("dbt_project.yml"),
        format!("{project_yml}\ndata_tests:\n  test_analysis:\n    +static_analysis: baseline\n"),
    )
    .unwrap();
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    assert_eq!(out.diagnostics.len(), 4, "{:#?}", out.diagnostics);
    assert_eq!(out.error_count(), 0, "{:#?}", out.diagnostics);

    // --static-analysis off overrides everything.
    let (_tmp, dir) = broken_copy("");
    let (db, project) = load(&dir, Some("off"));
    assert!(compile_project(&db, project, None).diagnostics.is_empty());
}

#[test]
fn a_test_error_blocks_test_and_build_but_not_run() {
    let (_tmp, dir) = broken_copy("");
    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nothing was run"), "{out}");
    assert!(out.contains("models/broken.yml:12:13"), "{out}");
    assert!(!out.contains("OK created"), "{out}");

    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = common::dbtc_cli("run", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("E4002"), "{out}");
    assert!(
        out.contains("OK created sql table model main.payments"),
        "{out}"
    );

    let (code, out) = common::dbtc_cli("test", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nothing was run"), "{out}");

    // As dbt: under baseline the findings warn and the tests run (and fail in DuckDB).
    let (code, out) = common::dbtc_cli("test", &dir, &["--static-analysis", "baseline"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("nothing was run"), "{out}");
    assert!(
        out.contains("Referenced column \"order_idd\" not found"),
        "{out}"
    );
}

#[test]
fn json_log_lines_carry_the_yml_position() {
    let (_tmp, dir) = broken_copy("");
    let (code, out) = common::dbtc_cli("compile", &dir, &["--log-format", "json"]);
    assert_eq!(code, 1, "{out}");
    let line = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["code"] == "E4002"
                && v["node"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("test.test_analysis.not_null_payments"))
        })
        .unwrap_or_else(|| panic!("no JSON line for the not_null test:\n{out}"));
    assert_eq!(line["level"], "error");
    assert_eq!(line["file"], "models/broken.yml");
    assert_eq!(line["line"], 12);
    assert_eq!(line["column"], 13);
}

/// Children of an introspective model are analyzed just in time with the schema its
/// live render gives, before they run: ahead of time its columns were unknown (opaque).
#[test]
fn descendants_of_an_introspective_model_are_analyzed_just_in_time() {
    let (_tmp, dir) = common::fixture_copy("introspective");
    let write =
        |name: &str, text: &str| std::fs::write(dir.join("models").join(name), text).unwrap();
    // status_counts' columns come from a `statement` block run during the build.
    write(
        "child_bad.sql",
        "select statuss, n\nfrom {{ ref('status_counts') }}\n",
    );
    write(
        "child_ok.sql",
        "select *, n * 2 as n2\nfrom {{ ref('status_counts') }}\n",
    );
    write(
        "grandchild.sql",
        "select nn, status from {{ ref('child_ok') }}\n",
    );
    write(
        "grandchild_ok.sql",
        "select n2, status from {{ ref('child_ok') }}\n",
    );

    // Ahead of time nothing can be said: the run is not blocked.
    let (code, out) = common::dbtc_cli("compile", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("E4002"), "{out}");

    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 1, "{out}");
    let warning = |node: &str| {
        out.lines()
            .filter(|l| {
                l.starts_with(&format!(
                    "Warning: model.introspective.{node} (analyzed just in time)"
                ))
            })
            .collect::<Vec<_>>()
    };
    let bad = warning("child_bad");
    assert_eq!(bad.len(), 1, "{out}");
    assert!(
        bad[0].contains("E4002: column \"statuss\" does not exist"),
        "{}",
        bad[0]
    );
    assert!(
        bad[0].contains("--> models/child_bad.sql:1:8"),
        "{}",
        bad[0]
    );
    assert!(bad[0].contains("did you mean \"status\"?"), "{}", bad[0]);
    // The grandchild binds against child_ok's schema, itself learnt just in time.
    let grand = warning("grandchild");
    assert_eq!(grand.len(), 1, "{out}");
    assert!(
        grand[0].contains("column \"nn\" does not exist"),
        "{}",
        grand[0]
    );
    assert!(warning("child_ok").is_empty(), "{out}");
    assert!(warning("grandchild_ok").is_empty(), "{out}");
    // Each warning comes before its node runs; DuckDB then agrees.
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("{needle}:\n{out}"))
    };
    assert!(
        at("Warning: model.introspective.grandchild ")
            < at("START sql view model main.grandchild ")
    );
    assert!(
        out.contains("Referenced column \"statuss\" not found"),
        "{out}"
    );
    assert!(out.contains("Referenced column \"nn\" not found"), "{out}");
    assert!(
        out.contains("OK created sql view model main.grandchild_ok"),
        "{out}"
    );

    // static_analysis off on the introspective parent: nothing is analyzed below it.
    let (code, out) = common::dbtc_cli("build", &dir, &["--static-analysis", "off"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("analyzed just in time"), "{out}");
}

/// A test reads its parent's columns only: a body edit that keeps the parent's schema
/// re-analyzes no test; a change of the column a test names re-analyzes the tests that
/// read that model, which then flag it.
#[test]
fn tests_are_reanalyzed_only_when_their_parents_schema_changes() {
    let fs = MemSystem::default();
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write(
        "/proj/profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    );
    fs.write("/proj/seeds/raw.csv", "id,status\n1,a\n2,b\n");
    fs.write(
        "/proj/models/a.sql",
        "select id, status from {{ ref('raw') }}",
    );
    fs.write("/proj/models/b.sql", "select status from {{ ref('raw') }}");
    fs.write(
        "/proj/models/schema.yml",
        "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n  - name: b\n    columns:\n      - name: status\n        data_tests: [not_null]\n",
    );
    fs.write(
        "/proj/tests/a_positive.sql",
        "select id from {{ ref('a') }} where id <= 0",
    );
    let mut db = RootDb::with_execution_log();
    let project = load_project(&db, &fs, &LoadOptions::in_dir("/proj"));
    db.record_executions();
    let out = compile_project(&db, project, None);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let first = db.take_executed();
    // a, b and the four tests (the seed is not analyzed).
    assert_eq!(count_executed(&first, "node_analysis"), 6, "{first:?}");

    let mut edit = |text: &str| {
        fs.write("/proj/models/a.sql", text);
        apply_changes(
            &mut db,
            &fs,
            project,
            Some(&[Path::new("/proj/models/a.sql").to_path_buf()]),
        );
        let out = compile_project(&db, project, None);
        (db.take_executed(), out.diagnostics)
    };
    let (log, diags) = edit("select id, status from {{ ref('raw') }} where id > 0");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(count_executed(&log, "node_analysis"), 1, "{log:?}");

    let (log, diags) = edit("select id as idd, status from {{ ref('raw') }}");
    // a and its three tests; b and its test are untouched.
    assert_eq!(count_executed(&log, "node_analysis"), 4, "{log:?}");
    let flagged: Vec<&str> = diags.iter().filter_map(|d| d.node.as_deref()).collect();
    assert_eq!(flagged.len(), 3, "{diags:#?}");
    assert!(
        flagged
            .iter()
            .all(|n| n.starts_with("test.demo.") && !n.contains("_b_")),
        "{flagged:?}"
    );
    assert!(
        diags.iter().all(|d| d.code == "E4002" && d.is_error()),
        "{diags:#?}"
    );
}

/// The same tests on a Postgres target (bound with Postgres' catalog; no server needed):
/// the valid ones stay clean, the broken ones are flagged at the same places.
#[test]
fn tests_are_analyzed_on_postgres_targets() {
    const PG: &str = "test_analysis:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: 127.0.0.1\n      user: u\n      password: p\n      port: 1\n      dbname: d\n      schema: public\n";
    let (_tmp, dir) = common::fixture_copy("test_analysis");
    std::fs::write(dir.join("profiles.yml"), PG).unwrap();
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);

    let (_tmp, dir) = broken_copy("");
    std::fs::write(dir.join("profiles.yml"), PG).unwrap();
    let (db, project) = load(&dir, None);
    let out = compile_project(&db, project, None);
    assert!(
        out.diagnostics
            .iter()
            .all(|d| d.code == "E4002" && d.is_error())
    );
    let d = find(
        &out.diagnostics,
        "test.test_analysis.not_null_payments_order_idd",
    );
    assert_eq!(d.len(), 1, "{:#?}", out.diagnostics);
    assert_eq!(at(d[0]), ("models/broken.yml".into(), 12, 13));
    for node in [
        "relationships_payments",
        "checks_expression_holds_payments",
        "assert_broken",
    ] {
        assert!(
            !find(&out.diagnostics, &format!("test.test_analysis.{node}")).is_empty(),
            "{node}: {:#?}",
            out.diagnostics
        );
    }
}

/// A snapshot's meta columns as dbt names them (`snapshot_meta_column_names`, and
/// `dbt_is_deleted` under `hard_deletes: new_record`): tests on them are not flagged, a
/// test on a renamed-away one is. dbt-core 1.11 on DuckDB agrees (checked by hand: 4 pass,
/// `not_null_snap_dbt_valid_from` fails with a Binder Error).
#[test]
fn snapshot_meta_columns_follow_the_snapshot_config() {
    let fs = MemSystem::default();
    fs.write("/proj/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write(
        "/proj/profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    );
    fs.write(
        "/proj/seeds/raw.csv",
        "id,status,updated_at\n1,a,2024-01-01\n",
    );
    fs.write(
        "/proj/snapshots/snap.sql",
        "{% snapshot snap %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', target_schema='main', hard_deletes='new_record', snapshot_meta_column_names={'dbt_valid_from': 'valid_from'}) }}\nselect * from {{ ref('raw') }}\n{% endsnapshot %}\n",
    );
    fs.write(
        "/proj/snapshots/snap.yml",
        "version: 2\nsnapshots:\n  - name: snap\n    columns:\n      - name: valid_from\n        data_tests: [not_null]\n      - name: dbt_is_deleted\n        data_tests:\n          - accepted_values:\n              arguments:\n                values: ['True', 'False']\n      - name: dbt_valid_from\n        data_tests: [not_null]\n",
    );
    let db = RootDb::default();
    let project = load_project(&db, &fs, &LoadOptions::in_dir("/proj"));
    let out = compile_project(&db, project, None);
    let flagged: Vec<&str> = out
        .diagnostics
        .iter()
        .filter_map(|d| d.node.as_deref())
        .collect();
    assert_eq!(flagged.len(), 1, "{:#?}", out.diagnostics);
    assert!(
        flagged[0].starts_with("test.demo.not_null_snap_dbt_valid_from."),
        "{flagged:?}"
    );
}

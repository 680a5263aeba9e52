//! fixtures/incremental on PostgreSQL, run twice as tests/incremental_models.rs runs it on
//! DuckDB (seed, run, snapshot; then phase2/*.csv over the seeds and seed, run, snapshot
//! with `--vars '{phase: 2}'`), compared with what dbt-core 1.11 + dbt-postgres 1.11 leave
//! after the same two runs (fixtures/incremental/expected/postgres, written by
//! scripts/postgres_goldens.sh): the second run's statuses and every relation (snapshot
//! times by their order only, as on DuckDB).
//!
//! Twice: through the library calls the CLI makes (the model rendered with
//! `is_incremental()` true, `build_incremental`, `build_snapshot`, a full refresh through
//! `transactional::build_model`), after `dbtc seed` and `dbtc run` did the seeds, views and
//! first builds; and through the CLI alone (`dbtc seed`, `run`, `snapshot`).

mod clock_free;
mod common;
mod pg_common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use dbtc::db::{NodeKey, Project, RootDb};
use dbtc::exec::postgres::PostgresAdapter;
use dbtc::exec::run::incremental::{IncrementalConfig, build_incremental};
use dbtc::exec::run::snapshot::{SnapshotConfig, build_snapshot};
use dbtc::exec::run::{BuildOutcome, Materialization};
use dbtc::exec::{Adapter, transactional};
use dbtc::jinja::incremental::incremental_sql;
use dbtc::jinja::nodes::{node_config, rendered_node};
use pg_common::{TestDb, dbtc, dump, load, read_json, relation_of, relations, server, text};
use serde_json::{Value, json};

const SNAPSHOTS: &[&str] = &[
    "snap_check",
    "snap_check_all",
    "snap_invalidate",
    "snap_new_record",
    "snap_timestamp",
];

fn golden(file: &str) -> PathBuf {
    common::fixture_dir("incremental")
        .join("expected/postgres")
        .join(file)
}

/// The incremental models of the fixture (every model but the view).
fn incremental_models() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(common::fixture_dir("incremental").join("models"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".sql")
                .map(str::to_string)
        })
        .filter(|n| n != "downstream")
        .collect();
    out.sort();
    out
}

/// One node's build: `success` or `error` (with the message printed).
fn status(uid: &str, built: Result<BuildOutcome, String>) -> (String, String) {
    let s = match built {
        Ok(BuildOutcome::Built { .. }) => "success",
        Ok(BuildOutcome::Skipped(_)) => "skipped",
        Err(e) => {
            eprintln!("{uid}: {e}");
            "error"
        }
    };
    (uid.to_string(), s.to_string())
}

/// The incremental models' runs where their table exists, as jobs.rs runs them.
fn run_incremental(
    adapter: &mut PostgresAdapter,
    root: &RootDb,
    project: Project,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in incremental_models() {
        let uid = format!("model.incremental.{name}");
        let key = NodeKey::new(root, uid.clone());
        let relation = relation_of(root, project, key);
        let config = IncrementalConfig::from_config(node_config(root, project, key)).unwrap();
        let existing = adapter.relation_kind(&relation).unwrap();
        let built = if config.full_refresh == Some(true) || existing.as_deref() != Some("table") {
            let sql = rendered_node(root, project, key).sql.clone().unwrap();
            transactional::build_model(
                adapter,
                &relation,
                existing.as_deref(),
                Materialization::Incremental,
                &sql,
            )
        } else {
            let sql = incremental_sql(root, project, key).sql.clone().unwrap();
            build_incremental(adapter, &relation, &sql, &config)
        };
        out.extend([status(&uid, built)]);
    }
    out
}

fn run_snapshots(
    adapter: &mut PostgresAdapter,
    root: &RootDb,
    project: Project,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in SNAPSHOTS {
        let uid = format!("snapshot.incremental.{name}");
        let key = NodeKey::new(root, uid.clone());
        let relation = relation_of(root, project, key);
        let config = SnapshotConfig::from_config(node_config(root, project, key)).unwrap();
        let sql = rendered_node(root, project, key).sql.clone().unwrap();
        out.extend([status(
            &uid,
            build_snapshot(adapter, &relation, &sql, &config),
        )]);
    }
    out
}

fn expected_statuses(verb: &str, ids: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    read_json(&golden(&format!("{verb}.json")))["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| ids.contains_key(r["unique_id"].as_str().unwrap()))
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn incremental_fixture_matches_dbt_postgres_after_two_runs() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy("incremental");
    std::fs::copy(golden("profiles.yml"), dir.join("profiles.yml")).unwrap();
    let mut adapter = db.adapter();

    // First run.
    for verb in ["seed", "run"] {
        let out = dbtc(&db, verb, &dir, &[]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "first {verb}:\n{}", text(&out));
    }
    let (root, project) = load(&dir, &db, Value::Null);
    let first = run_snapshots(&mut adapter, &root, project);
    assert!(first.values().all(|s| s == "success"), "{first:?}");

    // Second run.
    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    let phase2 = ["--vars", "{phase: 2}"];
    let out = dbtc(&db, "seed", &dir, &phase2).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "second seed:\n{}", text(&out));
    let (root, project) = load(&dir, &db, json!({"phase": 2}));
    let ran = run_incremental(&mut adapter, &root, project);
    assert_eq!(ran, expected_statuses("run", &ran), "second run statuses");
    let snapped = run_snapshots(&mut adapter, &root, project);
    assert_eq!(
        snapped,
        expected_statuses("snapshot", &snapped),
        "second snapshot statuses"
    );

    matches_goldens(&mut adapter);
}

/// Every relation after the two runs is dbt-postgres's.
fn matches_goldens(adapter: &mut PostgresAdapter) {
    let mut want: Vec<String> = std::fs::read_dir(golden(""))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f.contains('.'))
        .collect();
    want.sort();
    assert_eq!(relations(adapter), want, "relations after two runs");
    let mut diffs = Vec::new();
    for rel in &want {
        let expected = read_json(&golden(&format!("{rel}.json")));
        let got = dump(adapter, rel);
        let (got, expected) = if rel.starts_with("snapshots.") && rel != "snapshots.snap_timestamp"
        {
            (
                clock_free::clock_free(got),
                clock_free::clock_free(expected),
            )
        } else {
            (got, expected)
        };
        if got != expected {
            diffs.push(format!("{rel}:\n  dbtc {got}\n  dbt  {expected}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// A run's run_results.json: unique_id → status, for `ids`.
fn cli_statuses(dir: &std::path::Path, ids: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    read_json(&dir.join("target/run_results.json"))["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unique_id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(id, _)| ids.contains_key(id))
        .collect()
}

/// The same two runs through the CLI alone (`dbtc seed`, `run`, `snapshot`).
#[test]
fn incremental_fixture_via_cli_matches_dbt_postgres() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy("incremental");
    std::fs::copy(golden("profiles.yml"), dir.join("profiles.yml")).unwrap();
    for verb in ["seed", "run", "snapshot"] {
        let out = dbtc(&db, verb, &dir, &[]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "first {verb}:\n{}", text(&out));
    }
    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    let phase2 = ["--vars", "{phase: 2}"];
    for (verb, code) in [("seed", 0), ("run", 1), ("snapshot", 0)] {
        let out = dbtc(&db, verb, &dir, &phase2).output().unwrap();
        // osc_fail fails (its columns changed), as in dbt.
        assert_eq!(
            out.status.code(),
            Some(code),
            "second {verb}:\n{}",
            text(&out)
        );
        if verb != "seed" {
            let all: BTreeMap<String, String> =
                read_json(&golden(&format!("{verb}.json")))["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| (r["unique_id"].as_str().unwrap().to_string(), String::new()))
                    .collect();
            assert_eq!(
                cli_statuses(&dir, &all),
                expected_statuses(verb, &all),
                "second {verb} statuses"
            );
        }
    }
    let mut adapter = db.adapter();
    matches_goldens(&mut adapter);

    // `--full-refresh` rebuilds an existing incremental model from its whole query: the
    // column `on_schema_change: ignore` left out comes in, as do all the rows.
    let before = dump(&mut adapter, "main.osc_ignore");
    let refresh = ["--vars", "{phase: 2}", "--full-refresh", "-s", "osc_ignore"];
    let out = dbtc(&db, "run", &dir, &refresh).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "full refresh:\n{}", text(&out));
    let compiled =
        std::fs::read_to_string(dir.join("target/compiled/incremental/models/osc_ignore.sql"))
            .unwrap();
    adapter
        .execute(&format!(
            "create table main.osc_ignore_expected as (\n{compiled}\n)"
        ))
        .unwrap();
    let after = dump(&mut adapter, "main.osc_ignore");
    let want = dump(&mut adapter, "main.osc_ignore_expected");
    assert_ne!(after, before, "the full refresh changed nothing");
    assert_eq!(after["columns"], want["columns"]);
    assert_eq!(after["rows"], want["rows"]);
    assert_eq!(after["kind"], "table");
}

/// An incremental run that fails after `on_schema_change` altered the table (its
/// `unique_key` names no column) leaves the table as it was: no new column, the same
/// rows, no grants; and a merge on the same table works afterwards.
#[test]
fn failed_incremental_run_keeps_the_table() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    adapter
        .execute(
            "create schema s; create table s.t as select 1 as id, 'a'::text as v \
             union all select 2, 'b'",
        )
        .unwrap();
    let relation = common::relation("s", "t");
    let before = dump(&mut adapter, "s.t");
    let config = |v: Value| IncrementalConfig::from_config(v.as_object().unwrap()).unwrap();
    let sql = "select 2 as id, 'B'::text as v, 3 as w";
    let failing = config(json!({
        "unique_key": "nope", "on_schema_change": "append_new_columns",
        "grants": {"select": ["nobody_role_that_is_missing"]},
    }));
    let e = build_incremental(&mut adapter, &relation, sql, &failing).unwrap_err();
    assert!(e.contains("nope"), "{e}");
    assert_eq!(dump(&mut adapter, "s.t"), before);
    let merge = config(json!({
        "incremental_strategy": "merge", "unique_key": "id",
        "on_schema_change": "sync_all_columns",
    }));
    build_incremental(&mut adapter, &relation, sql, &merge).unwrap();
    let after = dump(&mut adapter, "s.t");
    assert_eq!(
        after["rows"],
        json!([["1", "a", null], ["2", "B", "3"]]),
        "{after}"
    );
    // No temporary table is left in the session.
    assert!(
        adapter
            .query("select 1 from pg_class where relname like 't__dbt_tmp%'")
            .unwrap()
            .rows
            .is_empty()
    );
}

/// A connection killed in the middle of an incremental run (its backend terminated while
/// the new rows are selected) loses nothing: the run fails, the table keeps its rows.
#[test]
fn killed_incremental_run_keeps_the_table() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    adapter
        .execute("create schema s; create table s.k as select 1 as id, 'a'::text as v")
        .unwrap();
    let before = dump(&mut adapter, "s.k");
    let mut runner = db.adapter();
    let worker = std::thread::spawn(move || {
        let config = IncrementalConfig::from_config(
            json!({"unique_key": "id", "on_schema_change": "sync_all_columns"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let sql = "select 1 as id, 'b'::text as v, 2 as w from pg_sleep(30)";
        build_incremental(&mut runner, &common::relation("s", "k"), sql, &config)
    });
    let started = std::time::Instant::now();
    let killed = loop {
        let found = adapter
            .query(&format!(
                "select pg_terminate_backend(pid) from pg_stat_activity \
                 where datname = '{}' and state = 'active' and query like '%pg_sleep(30)%' \
                 and pid <> pg_backend_pid()",
                db.name
            ))
            .unwrap();
        if !found.rows.is_empty() {
            break true;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let outcome = worker.join().unwrap();
    assert!(killed, "the slow run never started: {outcome:?}");
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(dump(&mut adapter, "s.k"), before);
}

//! Incremental models (and snapshots) run twice, as dbt-duckdb runs them: `fixtures/incremental`
//! is seeded and run, then its seeds are replaced by `phase2/*.csv` and it is seeded and
//! run again with `--vars '{phase: 2}'` (models change their columns for
//! `on_schema_change`). Every relation afterwards and the second run's statuses are
//! compared with what dbt-core 1.11 + dbt-duckdb 1.11.1 leave after the same two runs
//! (`fixtures/incremental/expected/twice`, written by scripts/incremental_goldens.sh).

mod clock_free;
mod common;

use clock_free::clock_free;

use std::collections::BTreeMap;
use std::path::Path;

use dbtc::exec::Adapter;
use serde_json::{Value, json};

const PHASE2: &[&str] = &["--vars", "{phase: 2}"];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn expected_dir() -> std::path::PathBuf {
    common::fixture_dir("incremental").join("expected/twice")
}

/// The run's run_results.json reduced as the golden script reduces dbt's.
fn statuses(dir: &Path) -> BTreeMap<String, Value> {
    let doc = read_json(&dir.join("target/run_results.json"));
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let uid = r["unique_id"].as_str().unwrap().to_string();
            let row = json!({"unique_id": uid, "status": r["status"], "relation_name": r["relation_name"]});
            (uid, row)
        })
        .collect()
}

fn expected_statuses(verb: &str) -> BTreeMap<String, Value> {
    read_json(&expected_dir().join(format!("{verb}.json")))["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["unique_id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// Seeds and runs the fixture copy in `dir` twice, as the golden script does (`extra`:
/// more flags for every command).
fn run_twice(dir: &Path, extra: &[&str]) {
    let phase2: Vec<&str> = PHASE2.iter().chain(extra).copied().collect();
    for verb in ["seed", "run", "snapshot"] {
        let (code, out) = common::dbtc_cli(verb, dir, extra);
        assert_eq!(code, 0, "first {verb}:\n{out}");
    }
    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    let (code, out) = common::dbtc_cli("seed", dir, &phase2);
    assert_eq!(code, 0, "second seed:\n{out}");
    let (code, out) = common::dbtc_cli("run", dir, &phase2);
    // osc_fail fails (its columns changed), as in dbt.
    assert_eq!(code, 1, "second run:\n{out}");
    assert!(
        out.contains("The source and target schemas on this incremental model are out of sync!"),
        "{out}"
    );
    assert_eq!(
        statuses(dir),
        expected_statuses("run"),
        "second run statuses"
    );
    let (code, out) = common::dbtc_cli("snapshot", dir, &phase2);
    assert_eq!(code, 0, "second snapshot:\n{out}");
    assert!(
        out.contains("OK snapshotted snapshots.snap_check "),
        "{out}"
    );
    assert_eq!(
        statuses(dir),
        expected_statuses("snapshot"),
        "second snapshot statuses"
    );
}

/// Every relation in the database.
fn relations(adapter: &mut dbtc::exec::duckdb::DuckDbAdapter) -> Vec<String> {
    adapter
        .query(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_catalog = current_database() order by 1",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn incremental_models_match_dbt_after_two_runs() {
    matches_dbt_after_two_runs(&[]);
}

/// The same on four worker threads (each its own connection to the database file).
#[test]
fn four_threads_match_dbt_after_two_runs() {
    matches_dbt_after_two_runs(&["--threads", "4"]);
}

fn matches_dbt_after_two_runs(extra: &[&str]) {
    let (_tmp, dir) = common::fixture_copy("incremental");
    run_twice(&dir, extra);
    let mut adapter = common::open_duckdb(&dir);
    let got: Vec<String> = relations(&mut adapter);
    let mut want: Vec<String> = std::fs::read_dir(expected_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f.contains('.'))
        .collect();
    want.sort();
    assert_eq!(got, want, "relations after two runs");
    for rel in &want {
        let (schema, table) = rel.split_once('.').unwrap();
        let expected = read_json(&expected_dir().join(format!("{rel}.json")));
        let got = common::dump(&mut adapter, schema, table, true);
        // The timestamp strategy's times come from the data: compared as they are (but
        // for the time a deleted row was invalidated).
        if schema == "snapshots" && table != "snap_timestamp" {
            assert_eq!(clock_free(got), clock_free(expected), "{rel}");
        } else {
            assert_eq!(got, expected, "{rel}");
        }
    }
    // The second run compiled the models with is_incremental() true.
    let compiled =
        std::fs::read_to_string(dir.join("target/compiled/incremental/models/inc_merge.sql"))
            .unwrap();
    assert!(compiled.contains("select max(updated_at)"), "{compiled}");
    let executed =
        std::fs::read_to_string(dir.join("target/run/incremental/models/inc_merge.sql")).unwrap();
    assert!(executed.starts_with("MERGE INTO"), "{executed}");
}

/// `--full-refresh` rebuilds incremental tables from the model's full SQL (osc_fail then
/// takes its new columns), unless a model's `full_refresh: false` config says otherwise.
#[test]
fn full_refresh_rebuilds() {
    let (_tmp, dir) = common::fixture_copy("incremental");
    run_twice(&dir, &[]);
    let (code, out) = common::dbtc_cli("run", &dir, &["--vars", "{phase: 2}", "--full-refresh"]);
    assert_eq!(code, 0, "{out}");
    let mut adapter = common::open_duckdb(&dir);
    let osc_fail = common::dump(&mut adapter, "main", "osc_fail", false);
    assert_eq!(
        osc_fail["columns"].as_array().unwrap().len(),
        3,
        "{osc_fail}"
    );
    assert_eq!(osc_fail["rows"].as_array().unwrap().len(), 7, "{osc_fail}");
    // append after a full refresh: each id once.
    let count = adapter
        .query("select count(*), count(distinct id) from main.inc_append")
        .unwrap();
    assert_eq!(count.rows[0], vec![json!(7), json!(7)]);
}

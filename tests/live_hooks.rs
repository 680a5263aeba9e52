//! Model hooks whose rendering queries the database (`adapter.drop_relation`,
//! `adapter.get_relation`, `run_query`), rendered just before they run against the run's
//! connection, and the target/compiled files of ephemeral models: `dbtc build` then
//! `dbtc run -s grows` on a copy of fixtures/live_hooks, compared with what dbt-core 1.11 +
//! dbt-duckdb 1.11.1 do (fixtures/live_hooks/expected/results.json, written by
//! scripts/live_hooks_goldens.sh): each command's node statuses and error messages, the
//! files it writes under target/compiled and target/run, and every relation's rows after
//! both (`hook_log` records what the hooks saw). On Postgres (the server of
//! scripts/pg_server.sh, when DBTC_TEST_PG_* are set), the same commands are compared with
//! dbt-postgres 1.11 (fixtures/live_hooks/expected/postgres).

mod common;
mod pg_common;

use std::path::Path;

use dbtc::exec::Adapter as _;
use serde_json::{Map, Value, json};

fn expected() -> Value {
    let path = common::fixture_dir("live_hooks").join("expected/results.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An error message without what differs between DuckDB versions and SQL layouts: its
/// first two lines (dbt's header and the database's message).
fn comparable(message: &str) -> String {
    message.lines().take(2).collect::<Vec<_>>().join("\n")
}

fn statuses(dir: &Path) -> Map<String, Value> {
    let text = std::fs::read_to_string(dir.join("target/run_results.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut out = Map::new();
    for r in doc["results"].as_array().unwrap() {
        let mut entry = json!({"status": r["status"]});
        if r["status"] == "error" {
            entry["message"] = json!(comparable(r["message"].as_str().unwrap()));
        }
        out.insert(r["unique_id"].as_str().unwrap().to_string(), entry);
    }
    out
}

/// The files under target/compiled and target/run, relative to the project, sorted.
fn written(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    for sub in ["target/compiled", "target/run"] {
        walk(&dir.join(sub), dir, &mut out);
    }
    out.sort();
    out
}

#[test]
fn live_hooks_and_ephemeral_files_match_dbt() {
    let (_tmp, dir) = common::fixture_copy("live_hooks");
    let _ = std::fs::remove_dir_all(dir.join("expected"));
    let expected = expected();
    for step in expected["steps"].as_array().unwrap() {
        let command = step["command"].as_str().unwrap();
        let mut words = command.split(' ');
        let verb = words.next().unwrap();
        let args: Vec<&str> = words.collect();
        let _ = std::fs::remove_dir_all(dir.join("target"));
        let (code, out) = common::dbtc_cli(verb, &dir, &args);
        let nodes = step["nodes"].as_object().unwrap();
        let failed = nodes.values().any(|n| n["status"] == "error");
        assert_eq!(code, i32::from(failed), "{out}");
        let mut want = nodes.clone();
        for entry in want.values_mut() {
            if let Some(m) = entry.get("message").and_then(Value::as_str) {
                entry["message"] = json!(comparable(m));
            }
        }
        assert_eq!(statuses(&dir), want, "`{command}`:\n{out}");
        // Known difference: dbt writes target/run for a model whose main statement ran
        // before a post-hook failed; dbtc writes none for a failed node.
        let failed_run_files: Vec<String> = nodes
            .iter()
            .filter(|(_, n)| n["status"] == "error")
            .map(|(uid, _)| {
                let name = uid.rsplit('.').next().unwrap();
                format!("target/run/livehooks/models/{name}.sql")
            })
            .collect();
        let files: Vec<String> = step["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .filter(|f| !failed_run_files.contains(f))
            .collect();
        assert_eq!(written(&dir), files, "`{command}`:\n{out}");
    }
    let mut adapter = common::open_duckdb(&dir);
    let relations = expected["relations"].as_object().unwrap();
    for (name, rows) in relations {
        let (schema, table) = name.split_once('.').unwrap();
        let dump = common::dump(&mut adapter, schema, table, false);
        assert_eq!(&dump["rows"], rows, "{name}");
    }
    let found = adapter
        .query(
            "select count(*) from duckdb_tables() where database_name = current_database() \
             and schema_name = 'main'",
        )
        .unwrap();
    assert_eq!(found.rows[0][0], json!(relations.len()));
}

/// The compiled file of an ephemeral model is dbt's (its own SQL), written when the
/// ephemeral is selected alone and when a model that inlines it runs; never target/run.
#[test]
fn ephemeral_compiled_files() {
    let (_tmp, dir) = common::fixture_copy("live_hooks");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let eph = "target/compiled/livehooks/models/eph.sql";
    for selected in ["eph", "uses_eph"] {
        let _ = std::fs::remove_dir_all(dir.join("target"));
        let (code, out) = common::dbtc_cli("run", &dir, &["-s", selected]);
        assert_eq!(code, 0, "{out}");
        let sql = std::fs::read_to_string(dir.join(eph)).unwrap();
        assert_eq!(
            sql.trim(),
            "select n * 10 as n10 from \"dev\".\"main\".\"nums\"",
            "{selected}"
        );
        assert!(!dir.join("target/run/livehooks/models/eph.sql").exists());
    }
    let _ = std::fs::remove_dir_all(dir.join("target"));
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "nums"]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir.join(eph).exists());
}

#[test]
fn live_hooks_match_dbt_postgres() {
    let Some(env) = pg_common::server() else {
        return;
    };
    let golden = common::fixture_dir("live_hooks").join("expected/postgres");
    let expected = pg_common::read_json(&golden.join("results.json"));
    let db = pg_common::TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy("live_hooks");
    std::fs::copy(golden.join("profiles.yml"), dir.join("profiles.yml")).unwrap();
    for step in expected["steps"].as_array().unwrap() {
        let command = step["command"].as_str().unwrap();
        let mut words = command.split(' ');
        let verb = words.next().unwrap();
        let args: Vec<&str> = words.collect();
        let out = pg_common::dbtc(&db, verb, &dir, &args).output().unwrap();
        let console = pg_common::text(&out);
        // dbt-postgres words database errors its own way ("Database Error", the
        // statement's line, the file): the statuses are compared, and an error must name
        // what the database said.
        let got = statuses(&dir);
        let want = step["nodes"].as_object().unwrap();
        let keys = |m: &Map<String, Value>| {
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&got), keys(want), "`{command}`:\n{console}");
        for (uid, entry) in want {
            assert_eq!(got[uid]["status"], entry["status"], "{uid}:\n{console}");
            if let Some(m) = entry.get("message").and_then(Value::as_str) {
                // The goldens' database is `golden_live_hooks`, the test's its own.
                let said = m.lines().nth(1).unwrap().trim();
                let said = said.replace("\"golden_live_hooks\"", &format!("\"{}\"", db.name));
                let ours = got[uid]["message"].as_str().unwrap();
                assert!(ours.contains(&said), "{uid}: {ours}\nwant: {said}");
            }
        }
    }
    let mut adapter = db.adapter();
    let relations = expected["relations"].as_object().unwrap();
    let found = pg_common::relations(&mut adapter);
    assert_eq!(found, relations.keys().cloned().collect::<Vec<_>>());
    for (name, rows) in relations {
        assert_eq!(&pg_common::dump(&mut adapter, name)["rows"], rows, "{name}");
    }
}

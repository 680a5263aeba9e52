//! Hooks, `persist_docs` and enforced contracts: `dbtc seed`, `dbtc run`, `dbtc run` on a
//! copy of fixtures/hooks, compared with what dbt-core 1.11 + dbt-duckdb 1.11.1 leave after
//! the same commands (fixtures/hooks/expected, written by scripts/hooks_goldens.sh): each
//! command's node statuses and error messages, and every relation in the database (columns,
//! rows, kind, comments, constraints) — the `hook_log` table records every hook that ran
//! and was kept. On Postgres (the server of scripts/pg_server.sh, when DBTC_TEST_PG_* are
//! set), the same `dbtc seed`, `dbtc run`, `dbtc run`, `dbtc snapshot` are compared with
//! dbt-postgres 1.11 (fixtures/hooks/expected/postgres).

mod common;
mod pg_common;

use std::path::{Path, PathBuf};

use dbtc::exec::Adapter;
use dbtc::exec::duckdb::DuckDbAdapter;
use serde_json::{Map, Value, json};

fn expected_dir() -> PathBuf {
    common::fixture_dir("hooks").join("expected")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// dbt appends its Jinja traceback to a compilation error (`> in macro ...`), and DuckDB's
/// "Did you mean" suggestion varies between runs: both are left out of the comparison; so
/// are double quotes in database errors (DuckDB 2 quotes the table a constraint error
/// names, our libduckdb 1.5 does not).
fn comparable(message: &str) -> String {
    if message.starts_with("Runtime Error") {
        return comparable_lines(&message.replace('"', ""));
    }
    comparable_lines(message)
}

fn comparable_lines(message: &str) -> String {
    let mut lines: Vec<&str> = message
        .lines()
        .take_while(|l| !l.trim_start().starts_with("> in macro"))
        .filter(|l| !l.trim_start().starts_with("Did you mean"))
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Each node's status (and error message) from target/run_results.json.
fn statuses(dir: &Path) -> Map<String, Value> {
    let doc = read_json(&dir.join("target/run_results.json"));
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

fn scalar(adapter: &mut DuckDbAdapter, sql: &str) -> Value {
    adapter.query(sql).unwrap().rows[0][0].clone()
}

/// A relation as scripts/hooks_goldens.sh dumps it (the rows without a snapshot's
/// clock-valued dbt_* columns).
fn dump(adapter: &mut DuckDbAdapter, schema: &str, table: &str, kind: &str) -> Value {
    let mut doc = common::dump(adapter, schema, table, false);
    let rel = common::relation(schema, table);
    let casts: Vec<String> = adapter
        .columns(&rel)
        .unwrap()
        .iter()
        .filter(|c| !c.name.starts_with("dbt_"))
        .map(|c| format!("cast({} as varchar)", adapter.quote(&c.name)))
        .collect();
    doc["rows"] = json!(
        adapter
            .query(&format!(
                "select {} from {} order by all",
                casts.join(", "),
                adapter.render_relation(&rel)
            ))
            .unwrap()
            .rows
    );
    doc["kind"] = json!(kind);
    let function = if kind == "view" { "views" } else { "tables" };
    let name = if kind == "view" {
        "view_name"
    } else {
        "table_name"
    };
    doc["comment"] = scalar(
        adapter,
        &format!(
            "select comment from duckdb_{function}() where database_name = current_database() \
             and schema_name = '{schema}' and {name} = '{table}'"
        ),
    );
    let comments = adapter
        .query(&format!(
            "select column_name, comment from duckdb_columns() where database_name = \
             current_database() and schema_name = '{schema}' and table_name = '{table}' \
             order by column_index"
        ))
        .unwrap()
        .rows;
    doc["column_comments"] = Value::Object(
        comments
            .into_iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].clone()))
            .collect(),
    );
    let constraints = adapter
        .query(&format!(
            "select constraint_type, to_json(constraint_column_names)::varchar \
             from duckdb_constraints() where database_name = current_database() \
             and schema_name = '{schema}' and table_name = '{table}'"
        ))
        .unwrap()
        .rows;
    let mut constraints: Vec<Value> = constraints
        .into_iter()
        .map(|r| {
            let columns: Value = serde_json::from_str(r[1].as_str().unwrap()).unwrap();
            json!([r[0], columns])
        })
        .collect();
    constraints.sort_by_key(|c| c.to_string());
    doc["constraints"] = Value::Array(constraints);
    doc
}

/// Every relation of the database: (schema, name, kind).
fn relations(adapter: &mut DuckDbAdapter) -> Vec<(String, String, String)> {
    adapter
        .query(
            "select schema_name, table_name, 'table' from duckdb_tables() \
             where database_name = current_database() union all \
             select schema_name, view_name, 'view' from duckdb_views() \
             where database_name = current_database() and not internal order by 1, 2",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| {
            let s = |v: &Value| v.as_str().unwrap().to_string();
            (s(&r[0]), s(&r[1]), s(&r[2]))
        })
        .collect()
}

#[test]
fn hooks_docs_and_contracts_match_dbt() {
    let (_tmp, dir) = common::fixture_copy("hooks");
    let _ = std::fs::remove_dir_all(dir.join("expected"));
    let steps = read_json(&expected_dir().join("results.json"));
    for step in steps.as_array().unwrap() {
        let command = step["command"].as_str().unwrap();
        let (code, out) = common::dbtc_cli(command, &dir, &[]);
        let failed = step["nodes"]
            .as_object()
            .unwrap()
            .values()
            .any(|n| n["status"] == "error");
        assert_eq!(code, i32::from(failed), "{out}");
        let mut want = step["nodes"].as_object().unwrap().clone();
        for entry in want.values_mut() {
            if let Some(m) = entry.get("message").and_then(Value::as_str) {
                entry["message"] = json!(comparable(m));
            }
        }
        assert_eq!(statuses(&dir), want, "`{command}`:\n{out}");
    }
    let mut adapter = common::open_duckdb(&dir);
    let found = relations(&mut adapter);
    let mut expected: Vec<String> = std::fs::read_dir(expected_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && f != "results.json")
        .collect();
    expected.sort();
    let names: Vec<String> = found
        .iter()
        .map(|(s, t, _)| format!("{s}.{t}.json"))
        .collect();
    assert_eq!(names, expected);
    for (schema, table, kind) in &found {
        let want = read_json(&expected_dir().join(format!("{schema}.{table}.json")));
        assert_eq!(
            dump(&mut adapter, schema, table, kind),
            want,
            "{schema}.{table}"
        );
    }
    // The contracted table is created with its declared columns, then filled.
    let run_sql =
        std::fs::read_to_string(dir.join("target/run/hooklab/models/contracted.sql")).unwrap();
    assert!(
        run_sql.contains("plant_id integer not null primary key"),
        "{run_sql}"
    );
    assert!(run_sql.contains("as model_subq"), "{run_sql}");
}

#[test]
fn failing_hook_inside_the_transaction_keeps_the_previous_relation() {
    let (_tmp, dir) = common::fixture_copy("hooks");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "docs_table", "plant_view"]);
    assert_eq!(code, 0, "{out}");
    let mut adapter = common::open_duckdb(&dir);
    let logged = "select count(*) from main.hook_log where node = 'docs_table'";
    assert_eq!(scalar(&mut adapter, logged), json!(5));
    drop(adapter);
    // Now the model changes, and a post-hook inside its transaction fails: the new
    // relation and what the hooks inside the transaction wrote are rolled back.
    let model = dir.join("models/docs_table.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    let sql = sql
        .replace("height_cm * 10", "height_cm * 1000")
        .replace(
            "post_hook={",
            "post_hook=[\"select * from main.missing_table\", {",
        )
        .replace("},\n) }}", "}],\n) }}");
    std::fs::write(&model, &sql).unwrap();
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "docs_table"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing_table"), "{out}");
    let mut adapter = common::open_duckdb(&dir);
    assert_eq!(
        scalar(&mut adapter, "select max(height_mm) from main.docs_table"),
        json!(400)
    );
    assert_eq!(scalar(&mut adapter, logged), json!(5));
    // The comment survives too.
    assert_eq!(
        scalar(
            &mut adapter,
            "select comment from duckdb_tables() where table_name = 'docs_table'"
        ),
        json!("Plants, louder. Heights are in millimetres.")
    );
}

#[test]
fn hook_that_does_not_render_fails_its_model() {
    let (_tmp, dir) = common::fixture_copy("hooks");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(
        dir.join("models/plant_view.sql"),
        "{{ config(materialized='view', pre_hook=\"select {{ no_such_macro() }}\") }}\nselect 1 as x\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("run", &dir, &["-s", "plant_view"]);
    assert_eq!(code, 1, "{out}");
    let results = statuses(&dir);
    let message = results["model.hooklab.plant_view"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("Compilation Error in model plant_view (models/plant_view.sql)"),
        "{message}"
    );
    assert!(message.contains("no_such_macro"), "{message}");
    let mut adapter = common::open_duckdb(&dir);
    assert_eq!(
        scalar(
            &mut adapter,
            "select count(*) from duckdb_views() where view_name = 'plant_view'"
        ),
        json!(0)
    );
}

fn pg_scalar(adapter: &mut dbtc::exec::postgres::PostgresAdapter, sql: &str) -> Value {
    adapter.query(sql).unwrap().rows[0][0].clone()
}

/// A relation as scripts/hooks_goldens.sh dumps it from Postgres (the rows without a
/// snapshot's clock-valued dbt_* columns).
fn pg_dump(adapter: &mut dbtc::exec::postgres::PostgresAdapter, rel: &str) -> Value {
    let mut doc = pg_common::dump(adapter, rel);
    let (schema, table) = rel.split_once('.').unwrap();
    let kept: Vec<String> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .filter(|name| !name.starts_with("dbt_"))
        .collect();
    if kept.len() < doc["columns"].as_array().unwrap().len() {
        let casts: Vec<String> = kept
            .iter()
            .map(|c| format!("{}::text", adapter.quote(c)))
            .collect();
        let order: Vec<String> = (1..=kept.len()).map(|i| i.to_string()).collect();
        doc["rows"] = json!(
            adapter
                .query(&format!(
                    "select {} from \"{schema}\".\"{table}\" order by {}",
                    casts.join(", "),
                    order.join(", ")
                ))
                .unwrap()
                .rows
        );
    }
    let oid = format!("'\"{schema}\".\"{table}\"'::regclass");
    doc["comment"] = pg_scalar(
        adapter,
        &format!("select obj_description({oid}, 'pg_class')"),
    );
    let rows = |adapter: &mut dbtc::exec::postgres::PostgresAdapter, sql: String| {
        adapter.query(&sql).unwrap().rows
    };
    doc["column_comments"] = Value::Object(
        rows(
            adapter,
            format!(
                "select attname::text, col_description(attrelid, attnum) from pg_attribute \
                 where attrelid = {oid} and attnum > 0 and not attisdropped order by attnum"
            ),
        )
        .into_iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].clone()))
        .collect(),
    );
    doc["constraints"] = Value::Array(
        rows(
            adapter,
            format!(
                "select c.contype::text, (select string_agg(a.attname::text, ',' order by \
                 a.attnum) from pg_attribute a where a.attrelid = c.conrelid and a.attnum = \
                 any(c.conkey)) from pg_constraint c where c.conrelid = {oid} and c.contype \
                 <> 'n' order by 1, 2"
            ),
        )
        .into_iter()
        .map(Value::Array)
        .collect(),
    );
    doc["not_null"] = Value::Array(
        rows(
            adapter,
            format!(
                "select attname::text from pg_attribute where attrelid = {oid} and attnum > 0 \
                 and attnotnull order by attnum"
            ),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect(),
    );
    doc
}

#[test]
fn hooks_docs_and_contracts_match_dbt_postgres() {
    let Some(env) = pg_common::server() else {
        return;
    };
    let golden = expected_dir().join("postgres");
    let db = pg_common::TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy("hooks");
    std::fs::copy(golden.join("profiles.yml"), dir.join("profiles.yml")).unwrap();
    let steps = read_json(&golden.join("results.json"));
    for step in steps.as_array().unwrap() {
        let command = step["command"].as_str().unwrap();
        let out = pg_common::dbtc(&db, command, &dir, &[]).output().unwrap();
        let console = pg_common::text(&out);
        let mut got = statuses(&dir);
        let mut want = step["nodes"].as_object().unwrap().clone();
        // dbt-postgres words database errors its own way ("Database Error", the
        // statement's line): those messages are not compared, contract errors are.
        for entries in [&mut got, &mut want] {
            for entry in entries.values_mut() {
                let message = entry.get("message").and_then(Value::as_str);
                match message {
                    Some(m) if m.starts_with("Compilation Error") => {
                        entry["message"] = json!(comparable(m));
                    }
                    Some(_) => {
                        entry.as_object_mut().unwrap().remove("message");
                    }
                    None => {}
                }
            }
        }
        assert_eq!(got, want, "`{command}`:\n{console}");
    }
    let mut adapter = db.adapter();
    let found = pg_common::relations(&mut adapter);
    let mut expected: Vec<String> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && f != "results.json")
        .map(|f| f.trim_end_matches(".json").to_string())
        .collect();
    expected.sort();
    // Known gaps: relations dbt-postgres leaves that dbtc does not (checked to still be
    // missing, so a fix shows up here).
    for (rel, why) in PG_KNOWN_GAPS {
        assert!(
            expected.contains(&rel.to_string()),
            "{rel}: not in the goldens"
        );
        assert!(
            !found.contains(&rel.to_string()),
            "{rel} is fixed ({why}): remove the gap"
        );
    }
    expected.retain(|r| !PG_KNOWN_GAPS.iter().any(|(gap, _)| gap == r));
    assert_eq!(found, expected);
    let mut diffs = Vec::new();
    for rel in &found {
        let want = read_json(&golden.join(format!("{rel}.json")));
        let got = pg_dump(&mut adapter, rel);
        if got != want {
            diffs.push(format!("{rel}:\n  dbtc {got}\n  dbt  {want}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Where dbtc on Postgres is known to leave other relations than dbt-postgres after the
/// fixture's sequence, and why.
const PG_KNOWN_GAPS: &[(&str, &str)] = &[(
    "main.bad_post_hook__dbt_backup",
    "after a pre-hook outside the transaction every statement commits on its own; \
     dbt-postgres drops the backup after the post-hooks, so a failing post-hook leaves it, \
     dbtc's build_model_with (src/exec/transactional.rs) drops it before the post-hooks run",
)];

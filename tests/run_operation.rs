//! `dbtc run-operation` and project hooks on `fixtures/ops`, compared with what dbt-core
//! 1.11 + dbt-duckdb 1.11.1 print, exit with, write to run_results.json and leave in the
//! database (`fixtures/ops/expected`, written by `scripts/ops_goldens.sh`).

mod common;

use std::path::Path;

use common::{dbtc_cli, fixture_copy, fixture_dir, open_duckdb};
use dbtc::exec::Adapter;
use serde_json::Value;

fn golden(name: &str) -> Vec<Value> {
    let path = fixture_dir("ops").join("expected").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json")
}

/// The rows of a table, sorted, as JSON (None when it does not exist).
fn rows(dir: &Path, table: &str) -> Value {
    let mut db = open_duckdb(dir);
    match db.query(&format!("select * from {table} order by all")) {
        Ok(r) => Value::Array(r.rows.into_iter().map(Value::Array).collect()),
        Err(_) => Value::Null,
    }
}

/// stdout only (the console lines), as the golden's lines.
fn run(dir: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .args(args)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir)
        .output()
        .expect("run dbtc");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let lines = stdout.lines().map(str::to_string).collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Console lines without the database's words for a failing hook (from the line after
/// `... failed, error:` up to the next section; dbtc's DuckDB and dbt-duckdb's word it
/// differently) and the `compiled code at` line of a hook (dbtc writes no file for hooks).
fn hook_failure_masked(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in lines {
        if line.starts_with("Done.") || line.starts_with("Failure in ") {
            skipping = false;
        }
        if !skipping {
            out.push(line.clone());
        }
        if line.ends_with(" failed, error:") {
            skipping = true;
        }
    }
    out
}

/// A run_results.json result reduced as the golden script reduces dbt's.
fn reduce(result: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for k in [
        "unique_id",
        "status",
        "thread_id",
        "failures",
        "message",
        "compiled",
        "compiled_code",
        "relation_name",
        "adapter_response",
    ] {
        out.insert(k.into(), result[k].clone());
    }
    let timing: Vec<Value> = result["timing"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["name"].clone())
        .collect();
    out.insert("timing".into(), Value::Array(timing));
    Value::Object(out)
}

fn run_results(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("target/run_results.json")).expect("results");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn run_operation_matches_dbt() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, _, err) = run(&dir, &["seed"]);
    assert_eq!(code, 0, "{err}");
    for case in golden("run_operation.json") {
        let args: Vec<&str> = case["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut argv = vec!["run-operation"];
        argv.extend(&args);
        let (code, lines, stderr) = run(&dir, &argv);
        let what = format!("run-operation {args:?}\nstdout: {lines:#?}\nstderr: {stderr}");
        assert_eq!(
            i64::from(code),
            case["exit"].as_i64().expect("exit"),
            "{what}"
        );
        let want: Vec<&str> = case["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        match code {
            0 => assert_eq!(lines, want, "{what}"),
            1 => {
                // The error's heading and first line as dbt's; the database's words
                // after them differ (dbt-duckdb's DuckDB is not dbtc's).
                assert_eq!(lines[0], want[0], "{what}");
                if want[1].starts_with("  this operation") {
                    assert_eq!(lines[1], want[1], "{what}");
                }
            }
            _ => assert!(stderr.contains(want[0]), "{what}"),
        }
        if code != 2 {
            let results = run_results(&dir);
            let got: Vec<Value> = results["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(reduce)
                .collect();
            assert_eq!(Value::Array(got), case["results"], "{what}");
            assert_eq!(results["args"]["which"], "run-operation");
        }
        assert_eq!(rows(&dir, "main.audit_a"), case["audit_a"], "{what}");
        assert_eq!(
            rows(&dir, "main.audit_marks"),
            case["audit_marks"],
            "{what}"
        );
    }
}

#[test]
fn quiet_keeps_print_only() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, lines, err) = run(&dir, &["run-operation", "say_hello", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines, ["hello world"]);
    let (code, lines, err) = run(
        &dir,
        &["run-operation", "make_audit", "--args", "{name: t2}", "-q"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn unknown_macro_exits_2_and_names_it() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, text) = dbtc_cli("run-operation", &dir, &["no_such_macro"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("could not find a macro with the name 'no_such_macro'"),
        "{text}"
    );
}

#[test]
fn log_without_info_goes_to_the_log_file_only() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, lines, err) = run(
        &dir,
        &["run-operation", "make_audit", "--args", "{name: t1}"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines, ["created t1 with 3 rows"]);
    let log = std::fs::read_to_string(dir.join("logs/dbtc.log")).expect("log file");
    assert!(
        log.contains("[debug] [MainThread]: only in the log file"),
        "{log}"
    );
    assert!(log.contains("created t1 with 3 rows"), "{log}");
    // The SQL the macro ran, at debug level.
    assert!(log.contains("create or replace table main.t1"), "{log}");
}

#[test]
fn hooks_match_dbt() {
    let (_tmp, dir) = fixture_copy("ops");
    let time = regex::Regex::new(r"in \d+\.\d\ds\]").expect("regex");
    let total = regex::Regex::new(r"in \d+ hours \d+ minutes and \d+\.\d+ seconds \(\d+\.\d+s\)")
        .expect("regex");
    for case in golden("build.json") {
        let args: Vec<&str> = case["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let (code, lines, stderr) = run(&dir, &args);
        let what = format!("{args:?}\nstdout: {lines:#?}\nstderr: {stderr}");
        assert_eq!(
            i64::from(code),
            case["exit"].as_i64().expect("exit"),
            "{what}"
        );
        // dbt's lines, timings masked as the golden script masks them.
        let got: Vec<String> = lines
            .iter()
            .map(|l| {
                let l = time.replace_all(l, "in 0.00s]");
                total.replace_all(&l, "in TIME").to_string()
            })
            .collect();
        let want: Vec<String> = case["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        // dbt prints an empty line before the concurrency line (after its parse lines).
        assert_eq!(
            hook_failure_masked(&got),
            hook_failure_masked(&want[1..]),
            "{what}"
        );
        let results = run_results(&dir);
        let mut got: Vec<Value> = results["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(reduce)
            .collect();
        let mut want = case["results"].as_array().expect("results").clone();
        // Worker threads and node timings are scheduling details: hooks' are compared.
        for r in got.iter_mut().chain(want.iter_mut()) {
            // A failing hook's message: dbt's first line (the database's words differ).
            if r["status"] == "error"
                && let Some(first) = r["message"].as_str().and_then(|m| m.lines().next())
            {
                r["message"] = Value::from(first);
            }
            if !r["unique_id"]
                .as_str()
                .unwrap_or("")
                .starts_with("operation.")
            {
                r["thread_id"] = Value::Null;
                r["compiled_code"] = Value::Null;
                r["compiled"] = Value::Null;
            }
        }
        assert_eq!(got, want, "{what}");
        assert_eq!(rows(&dir, "main.hook_log"), case["hook_log"], "{what}");
        assert_eq!(
            rows(&dir, "main.audit_marks"),
            case["audit_marks"],
            "{what}"
        );
    }
}

/// Hooks on Postgres (the server of `scripts/pg_server.sh`, found through
/// `DBTC_TEST_PG_*`; without it this prints a notice and passes): the same hooks run,
/// and `results`/`schemas` reach the on-run-end hook.
#[test]
fn hooks_on_postgres() {
    let Ok(host) = std::env::var("DBTC_TEST_PG_HOST") else {
        eprintln!("DBTC_TEST_PG_* not set: the Postgres hooks test does not run");
        return;
    };
    let schema = format!("ops_hooks_{}", std::process::id());
    let (_tmp, dir) = fixture_copy("ops");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let profile = format!(
        "ops:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: {host}\n      port: {}\n      user: {}\n      password: \"{{{{ env_var('DBTC_TEST_PG_PASSWORD') }}}}\"\n      dbname: {}\n      schema: {schema}\n      threads: 2\n",
        var("DBTC_TEST_PG_PORT"),
        var("DBTC_TEST_PG_USER"),
        var("DBTC_TEST_PG_DBNAME"),
    );
    std::fs::write(dir.join("profiles.yml"), profile).expect("profile");
    let (code, text) = dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("2 of 2 OK hook: ops_audit.on-run-end.1"),
        "{text}"
    );
    let (code, text) = dbtc_cli(
        "run-operation",
        &dir,
        &["ops_audit.audit_mark", "--args", "{label: from_op}"],
    );
    assert_eq!(code, 0, "{text}");
    let mut client = postgres::Client::connect(
        &format!(
            "host={host} port={} user={} password={} dbname={}",
            var("DBTC_TEST_PG_PORT"),
            var("DBTC_TEST_PG_USER"),
            var("DBTC_TEST_PG_PASSWORD"),
            var("DBTC_TEST_PG_DBNAME")
        ),
        postgres::NoTls,
    )
    .expect("connect");
    let hook_log: Vec<(String, String)> = client
        .query(
            &format!("select hook, detail from {schema}.hook_log order by 1, 2"),
            &[],
        )
        .expect("hook_log")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let want = [
        ("cheap_teas", "model view SCHEMA True 2 priced+daily"),
        ("model.ops.cheap_teas", "success"),
        ("model.ops.tea_prices", "success"),
        ("schema", "SCHEMA"),
        ("seed.ops.teas", "success"),
        ("start", "plain"),
        ("tea_prices", "model table SCHEMA True 2 priced+daily"),
        ("teas", "seed seed SCHEMA True 2 "),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.replace("SCHEMA", &schema)))
        .collect();
    assert_eq!(hook_log, want);
    let marks: Vec<String> = client
        .query(
            &format!("select mark from {schema}.audit_marks order by 1"),
            &[],
        )
        .expect("audit_marks")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(marks, ["end 3", "from_op"]);
    client
        .batch_execute(&format!("drop schema {schema} cascade"))
        .expect("drop");
}

//! Ctrl-C during `dbtc run`: a model whose query runs for ever is cancelled, nothing is
//! half-written (the tables built before stay, the interrupted table keeps its previous
//! rows, no `__dbt_tmp`/`__dbt_backup` relation is left), run_results.json lists what
//! finished, and the command exits 2 as dbt-core does after a keyboard interrupt.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{fixture_copy, open_duckdb};
use dbtc::exec::Adapter;
use serde_json::Value;

/// A table model after `cheap_teas`: one row normally, a query that never ends with
/// `--vars '{slow: true}'`.
const SLOW: &str = "{{ config(materialized='table') }}
{% if var('slow', false) %}
select count(*) as n from range(1000000000000) t(x), (select 1 as one from {{ ref('cheap_teas') }} limit 1) c
where x % 7 = 3
{% else %}
select 1 as n from {{ ref('cheap_teas') }} limit 1
{% endif %}
";

fn dbtc(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbtc"));
    cmd.args(args)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir);
    cmd
}

fn scalar(dir: &Path, sql: &str) -> Value {
    let mut db = open_duckdb(dir);
    let r = db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows[0][0].clone()
}

#[test]
fn ctrl_c_cancels_the_running_model_and_keeps_every_table() {
    let (_tmp, dir) = fixture_copy("ops");
    std::fs::write(dir.join("models/slow.sql"), SLOW).expect("write model");
    let first = dbtc(&dir, &["build"]).output().expect("build");
    assert!(first.status.success(), "{first:?}");
    assert_eq!(scalar(&dir, "select n from main.slow"), Value::from(1));

    let (code, text) = interrupted_run(&dir, "START sql table model main.slow");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("CANCEL query model.ops.slow"), "{text}");
    assert!(
        text.contains("Exited because of keyboard interrupt"),
        "{text}"
    );
    // Nothing ran after Ctrl-C: no on-run-end hook.
    assert!(!text.contains("on-run-end"), "{text}");

    // The interrupted table keeps its previous rows; the others are intact.
    assert_eq!(scalar(&dir, "select n from main.slow"), Value::from(1));
    assert_eq!(
        scalar(&dir, "select count(*) from main.tea_prices"),
        Value::from(3)
    );
    assert_eq!(
        scalar(&dir, "select count(*) from main.cheap_teas"),
        Value::from(2)
    );
    let leftovers = scalar(
        &dir,
        "select count(*) from information_schema.tables \
         where table_name like '%__dbt_tmp%' or table_name like '%__dbt_backup%'",
    );
    assert_eq!(leftovers, Value::from(0));
    finished_without_slow(&dir);
}

/// run_results.json: the hooks and the models that finished, not the cancelled one.
fn finished_without_slow(dir: &Path) {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("target/run_results.json")).expect("results"),
    )
    .expect("json");
    let ids: Vec<&str> = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["unique_id"].as_str())
        .collect();
    assert!(ids.contains(&"model.ops.tea_prices"), "{ids:?}");
    assert!(ids.contains(&"model.ops.cheap_teas"), "{ids:?}");
    assert!(!ids.contains(&"model.ops.slow"), "{ids:?}");
    assert_eq!(doc["args"]["which"], "run");
}

/// `dbtc run --vars '{slow: true}'`, with Ctrl-C once `started` is printed: its exit code
/// and stdout.
fn interrupted_run(dir: &Path, started: &str) -> (Option<i32>, String) {
    let mut child = dbtc(dir, &["run", "--threads", "2", "--vars", "{slow: true}"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the slow model never started");
        if line.contains(started) {
            break;
        }
    }
    // Let the query get going, then press Ctrl-C.
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("dbtc did not stop within 60 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines = reader.join().expect("reader");
    (status.code(), lines.join("\n"))
}

/// The same on Postgres (the server of `scripts/pg_server.sh`, through `DBTC_TEST_PG_*`;
/// without it this prints a notice and passes): the running query is cancelled with
/// `pg_cancel_backend`, its transaction rolls back, the previous table stays.
#[test]
fn ctrl_c_cancels_a_postgres_query() {
    let Ok(host) = std::env::var("DBTC_TEST_PG_HOST") else {
        eprintln!("DBTC_TEST_PG_* not set: the Postgres Ctrl-C test does not run");
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let schema = format!("ops_int_{}", std::process::id());
    let (_tmp, dir) = fixture_copy("ops");
    let slow = "{{ config(materialized='table') }}
select 1 as n from {{ ref('cheap_teas') }}{% if var('slow', false) %}, pg_sleep(600){% endif %}
limit 1
";
    std::fs::write(dir.join("models/slow.sql"), slow).expect("write model");
    let profile = format!(
        "ops:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: {host}\n      port: {}\n      user: {}\n      password: \"{{{{ env_var('DBTC_TEST_PG_PASSWORD') }}}}\"\n      dbname: {}\n      schema: {schema}\n      threads: 2\n",
        var("DBTC_TEST_PG_PORT"),
        var("DBTC_TEST_PG_USER"),
        var("DBTC_TEST_PG_DBNAME"),
    );
    std::fs::write(dir.join("profiles.yml"), profile).expect("profile");
    let first = dbtc(&dir, &["build"]).output().expect("build");
    assert!(first.status.success(), "{first:?}");

    let started = Instant::now();
    let (code, text) = interrupted_run(&dir, &format!("START sql table model {schema}.slow"));
    assert!(started.elapsed() < Duration::from_secs(60), "{text}");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("CANCEL query model.ops.slow"), "{text}");

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
    let mut count = |sql: &str| -> i64 { client.query_one(sql, &[]).expect(sql).get(0) };
    assert_eq!(count(&format!("select count(*) from {schema}.slow")), 1);
    assert_eq!(
        count(&format!("select count(*) from {schema}.tea_prices")),
        3
    );
    let leftovers = count(&format!(
        "select count(*) from information_schema.tables where table_schema = '{schema}' \
         and (table_name like '%__dbt_tmp%' or table_name like '%__dbt_backup%')"
    ));
    assert_eq!(leftovers, 0);
    finished_without_slow(&dir);
    client
        .batch_execute(&format!("drop schema {schema} cascade"))
        .expect("drop");
}

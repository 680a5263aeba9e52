//! User-defined functions called without a schema on PostgreSQL (fixtures/pg_udf), through
//! the CLI against the test server. dbt-core runs such a project (it does not analyze
//! SQL); dbtc must not refuse it, and must still report what Postgres would refuse:
//!
//! - a function of the database (`add_tax`, created by the test in `public`, on the
//!   search path) is read from pg_proc and typed (`numeric`), its calls checked against
//!   its overloads and, in named notation, their argument names (E4006); a name the
//!   database lacks is E4005;
//! - a function the project creates (`made_in_hook`, by on-run-start) is not checked, and
//!   the run succeeds;
//! - the database's functions are cached under target/.dbtc: with the server unreachable
//!   the cache decides; without it, only a near-miss of a pg_catalog name is flagged.

mod common;
mod pg_common;

use std::path::Path;

use pg_common::{TestDb, dbtc, read_json, server, text};

fn write_model(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join("models").join(format!("{name}.sql")), sql).unwrap();
}

/// `dbtc compile`'s exit code and output, the server at `port` (None: the test's).
fn compile(db: &TestDb, dir: &Path, port: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = dbtc(db, "compile", dir, &[]);
    if let Some(port) = port {
        cmd.env("DBTC_TEST_PG_PORT", port);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), text(&out))
}

/// A port on loopback nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port.to_string()
}

#[test]
fn user_functions_are_read_from_the_database() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    use dbtc::exec::Adapter;
    adapter
        .execute(
            "create function public.add_tax(amount numeric) returns numeric \
             language sql as $$ select amount * 1.2 $$",
        )
        .unwrap();
    let (_tmp, dir) = common::fixture_copy("pg_udf");

    // Both functions pass; add_tax is typed from pg_proc.
    let (code, out) = compile(&db, &dir, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("E40"), "{out}");
    let lineage = read_json(&dir.join("target/lineage.json"));
    let columns = &lineage["nodes"]["model.pg_udf.taxed"]["columns"];
    assert_eq!(columns[0]["name"], "taxed", "{lineage}");
    assert_eq!(columns[0]["data_type"], "numeric", "{lineage}");
    let cache = dir.join("target/.dbtc/pg_functions.dev.tsv");
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(cached.contains("\tadd_tax\tnumeric\t"), "{cached}");
    assert!(!cached.contains("made_in_hook"), "{cached}");

    // The run: on-run-start creates made_in_hook, the model calls both.
    let out = dbtc(&db, "run", &dir, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows = adapter
        .query("select taxed::text, hooked from main.taxed")
        .unwrap()
        .rows;
    assert_eq!(serde_json::json!(rows), serde_json::json!([["12.00", 3]]));

    // What Postgres would refuse: a name the database lacks, a call no overload takes.
    write_model(&dir, "missing", "select add_taxes(1.0) as a");
    write_model(&dir, "bad_args", "select add_tax(true) as a");
    write_model(&dir, "bad_name", "select add_tax(amt => 1.0) as a");
    write_model(&dir, "named", "select add_tax(amount => 1) as a");
    write_model(&dir, "in_catalog", "select pg_catalog.add_tax(1.0) as a");
    let (code, out) = compile(&db, &dir, None);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("E4005") && out.contains("add_taxes") && out.contains("models/missing.sql"),
        "{out}"
    );
    assert!(
        out.contains("E4006") && out.contains("models/bad_args.sql"),
        "{out}"
    );
    // Named notation: checked against pg_proc's argument names.
    assert!(
        out.contains("models/bad_name.sql") && out.contains("add_tax(amount numeric)"),
        "{out}"
    );
    assert!(!out.contains("models/named.sql"), "{out}");
    // Qualified by pg_catalog: not the user function.
    assert!(out.contains("models/in_catalog.sql"), "{out}");
    for model in ["missing", "bad_args", "bad_name", "in_catalog"] {
        let sql = std::fs::read_to_string(dir.join(format!("models/{model}.sql"))).unwrap();
        let err = adapter.query(&sql).unwrap_err();
        assert!(err.contains("does not exist"), "{model}: {err}");
    }

    // The server unreachable: the cache answers the same.
    let port = closed_port();
    let (code, offline) = compile(&db, &dir, Some(&port));
    assert_ne!(code, Some(0), "{offline}");
    assert!(
        offline.contains("E4005") && offline.contains("add_taxes") && offline.contains("E4006"),
        "{offline}"
    );

    // Neither server nor cache: an unknown name may be a function dbtc cannot see, unless
    // it is one edit away from a pg_catalog function.
    std::fs::remove_file(&cache).unwrap();
    for model in ["bad_args", "bad_name", "in_catalog"] {
        std::fs::remove_file(dir.join(format!("models/{model}.sql"))).unwrap();
    }
    let (code, offline) = compile(&db, &dir, Some(&port));
    assert_eq!(code, Some(0), "{offline}");
    assert!(!offline.contains("E40"), "{offline}");
    write_model(&dir, "typo", "select uppr('a') as a");
    let (code, offline) = compile(&db, &dir, Some(&port));
    assert_ne!(code, Some(0), "{offline}");
    assert!(
        offline.contains("E4005") && offline.contains("did you mean \"upper\""),
        "{offline}"
    );
}

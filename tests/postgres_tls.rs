//! TLS to a real PostgreSQL server: the one scripts/pg_server.sh starts, which accepts TLS
//! when it prints DBTC_TEST_PG_SSLROOTCERT (its test CA; the server's certificate, an
//! unrelated CA and a client certificate for the role `dbtc_cert` sit beside it, and
//! pg_hba.conf admits the role `dbtc_tls_only` over TLS only). Without DBTC_TEST_PG_* every
//! test here prints a notice and passes, as tests/postgres.rs does.
//!
//! The certificates are made by the script with the `openssl` command, not by these tests:
//! the server needs them before it starts.

mod common;
mod pg_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use dbtc::exec::Adapter;
use dbtc::exec::postgres::PostgresAdapter;
use dbtc::project::profiles::Target;
use pg_common::{TestDb, server, text};
use serde_json::Value;

type Env = BTreeMap<&'static str, String>;

/// The test server's settings and its certificate folder, or None (with a notice).
fn tls_server() -> Option<(Env, PathBuf)> {
    let env = server()?;
    match std::env::var("DBTC_TEST_PG_SSLROOTCERT") {
        Ok(root) => {
            let dir = Path::new(&root).parent().unwrap().to_path_buf();
            Some((env, dir))
        }
        Err(_) => {
            eprintln!(
                "notice: DBTC_TEST_PG_SSLROOTCERT is not set (the server has no TLS: \
                 scripts/pg_server.sh needs `openssl`), skipping this TLS test"
            );
            None
        }
    }
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).to_str().unwrap().to_string()
}

/// The adapter for the test server with `fields` over its settings (database `postgres`).
fn open(env: &Env, fields: &[(&str, &str)]) -> Result<PostgresAdapter, String> {
    let mut target = Target::fallback("test");
    target.adapter_type = "postgres".into();
    for (k, v) in env {
        target.fields.insert((*k).into(), v.clone().into());
    }
    for (k, v) in fields {
        target.fields.insert((*k).into(), (*v).into());
    }
    PostgresAdapter::open(&target)
}

/// Whether the adapter's session is encrypted, as the server sees it.
fn uses_tls(adapter: &mut PostgresAdapter) -> bool {
    let rows = adapter
        .query("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        .unwrap()
        .rows;
    rows[0][0] == Value::Bool(true)
}

/// A small project (a seed and a table built from it) whose profile is the test server
/// with `fields` (YAML values) over its connection settings.
fn project(fields: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut profile: BTreeMap<&str, String> = [
        ("host", "\"{{ env_var('DBTC_TEST_PG_HOST') }}\""),
        ("port", "\"{{ env_var('DBTC_TEST_PG_PORT') | as_number }}\""),
        ("user", "\"{{ env_var('DBTC_TEST_PG_USER') }}\""),
        ("password", "\"{{ env_var('DBTC_TEST_PG_PASSWORD') }}\""),
        ("dbname", "\"{{ env_var('DBTC_TEST_PG_DBNAME') }}\""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (k, v) in fields {
        profile.insert(k, format!("\"{v}\""));
    }
    let mut yml = "tls:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      \
                   schema: main\n      threads: 1\n"
        .to_string();
    for (k, v) in &profile {
        yml.push_str(&format!("      {k}: {v}\n"));
    }
    std::fs::write(dir.join("profiles.yml"), yml).unwrap();
    std::fs::write(
        dir.join("dbt_project.yml"),
        "name: tls\nversion: '1.0.0'\nconfig-version: 2\nprofile: tls\n\
         models:\n  tls:\n    +materialized: table\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("seeds")).unwrap();
    std::fs::write(
        dir.join("seeds/teas.csv"),
        "name,grams\nsencha,50\nassam,100\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("models")).unwrap();
    // The session's own TLS state, as the server sees it, next to the seed's rows.
    std::fs::write(
        dir.join("models/heavy_teas.sql"),
        "select t.name, t.grams, s.ssl as over_tls from {{ ref('teas') }} t \
         cross join pg_stat_ssl s where s.pid = pg_backend_pid() and t.grams > 60\n",
    )
    .unwrap();
    tmp
}

/// `dbtc <verb>` on a project, in database `dbname`, with an empty HOME (so no
/// ~/.postgresql/ files of the machine take part).
fn dbtc(dir: &Path, verb: &str, dbname: &str) -> Output {
    let home = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .arg(verb)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir)
        .env("DBTC_TEST_PG_DBNAME", dbname)
        .env("HOME", home.path())
        .env_remove("PGSSLMODE")
        .env_remove("PGSSLROOTCERT")
        .output()
        .unwrap()
}

/// `dbtc debug` fails, and says `want`, never the password.
fn debug_fails(env: &Env, fields: &[(&str, &str)], want: &str) {
    let tmp = project(fields);
    let out = dbtc(tmp.path(), "debug", &env["dbname"]);
    let console = text(&out);
    assert_eq!(out.status.code(), Some(1), "{console}");
    assert!(console.contains("Connection test: [ERROR]"), "{console}");
    assert!(console.contains(want), "wanted `{want}` in:\n{console}");
    assert!(!console.contains(&env["password"]), "{console}");
}

fn debug_passes(env: &Env, fields: &[(&str, &str)]) {
    let tmp = project(fields);
    let out = dbtc(tmp.path(), "debug", &env["dbname"]);
    let console = text(&out);
    assert_eq!(out.status.code(), Some(0), "{console}");
    assert!(console.contains("All checks passed!"), "{console}");
}

#[test]
fn require_seeds_and_runs_over_tls() {
    let Some((env, _)) = tls_server() else { return };
    let db = TestDb::create(env.clone());
    let tmp = project(&[("sslmode", "require")]);
    let dir = tmp.path();
    let out = dbtc(dir, "debug", &db.name);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("sslmode: require"), "{}", text(&out));
    for verb in ["seed", "run"] {
        let out = dbtc(dir, verb, &db.name);
        assert_eq!(out.status.code(), Some(0), "dbtc {verb}: {}", text(&out));
    }
    let rows = db
        .adapter()
        .query("select name, grams, over_tls from main.heavy_teas")
        .unwrap()
        .rows;
    assert_eq!(
        rows,
        vec![vec![
            Value::from("assam"),
            Value::from(100),
            Value::Bool(true)
        ]]
    );
}

#[test]
fn each_sslmode_as_libpq() {
    let Some((env, certs)) = tls_server() else {
        return;
    };
    let root = path(&certs, "ca.crt");
    let other = path(&certs, "other-ca.crt");
    for (fields, tls) in [
        (vec![("sslmode", "disable")], false),
        // `allow` tries plain first, and the server takes it.
        (vec![("sslmode", "allow")], false),
        (vec![("sslmode", "prefer")], true),
        (vec![], true),
        (vec![("sslmode", "require")], true),
        (vec![("sslmode", "verify-ca"), ("sslrootcert", &root)], true),
        (
            vec![("sslmode", "verify-full"), ("sslrootcert", &root)],
            true,
        ),
        // verify-ca checks the chain, not the name (the certificate is for 127.0.0.1).
        (
            vec![
                ("sslmode", "verify-ca"),
                ("sslrootcert", &root),
                ("host", "localhost"),
            ],
            true,
        ),
        // sslmode disable ignores the (wrong) root certificate.
        (vec![("sslmode", "disable"), ("sslrootcert", &other)], false),
    ] {
        let mut adapter =
            open(&env, &fields).unwrap_or_else(|e| panic!("{fields:?} did not connect: {e}"));
        assert_eq!(uses_tls(&mut adapter), tls, "{fields:?}");
    }
}

#[test]
fn verify_ca_with_the_right_root_passes_debug() {
    let Some((env, certs)) = tls_server() else {
        return;
    };
    let root = path(&certs, "ca.crt");
    debug_passes(&env, &[("sslmode", "verify-ca"), ("sslrootcert", &root)]);
    debug_passes(&env, &[("sslmode", "verify-full"), ("sslrootcert", &root)]);
}

#[test]
fn a_wrong_root_certificate_fails_clearly() {
    let Some((env, certs)) = tls_server() else {
        return;
    };
    let other = path(&certs, "other-ca.crt");
    let want = format!(
        "HINT: the server's certificate is not signed by a certificate authority in `{other}`"
    );
    debug_fails(
        &env,
        &[("sslmode", "verify-ca"), ("sslrootcert", &other)],
        &want,
    );
    // As libpq, `require` with a root certificate verifies the chain too.
    debug_fails(
        &env,
        &[("sslmode", "require"), ("sslrootcert", &other)],
        &want,
    );
    // ... and `prefer` then falls back to a plain connection, which the server takes.
    let mut adapter = open(&env, &[("sslmode", "prefer"), ("sslrootcert", &other)]).unwrap();
    assert!(!uses_tls(&mut adapter));
}

#[test]
fn verify_full_with_another_host_name_fails() {
    let Some((env, certs)) = tls_server() else {
        return;
    };
    let root = path(&certs, "ca.crt");
    debug_fails(
        &env,
        &[
            ("sslmode", "verify-full"),
            ("sslrootcert", &root),
            ("host", "localhost"),
        ],
        "HINT: the server's certificate does not name the host `localhost`",
    );
}

#[test]
fn verify_without_a_root_certificate_is_refused() {
    let Some((env, certs)) = tls_server() else {
        return;
    };
    debug_fails(
        &env,
        &[("sslmode", "verify-ca")],
        "there is no root certificate file",
    );
    let missing = path(&certs, "missing.crt");
    debug_fails(
        &env,
        &[("sslmode", "verify-full"), ("sslrootcert", &missing)],
        &format!("`sslrootcert` file `{missing}` does not exist"),
    );
}

#[test]
fn a_tls_only_role_needs_tls() {
    let Some((mut env, certs)) = tls_server() else {
        return;
    };
    env.insert("user", "dbtc_tls_only".into());
    debug_fails(
        &env,
        &[("user", "dbtc_tls_only"), ("sslmode", "disable")],
        "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"dbtc_tls_only\"",
    );
    for (mode, tls) in [("allow", true), ("prefer", true), ("require", true)] {
        let mut adapter = open(&env, &[("sslmode", mode)])
            .unwrap_or_else(|e| panic!("sslmode {mode} did not connect: {e}"));
        assert_eq!(uses_tls(&mut adapter), tls, "sslmode {mode}");
    }
    // When both tries fail, both errors are told.
    let other = path(&certs, "other-ca.crt");
    for (mode, first) in [("prefer", "over TLS"), ("allow", "without TLS")] {
        let e = open(&env, &[("sslmode", mode), ("sslrootcert", &other)])
            .err()
            .unwrap();
        assert!(
            e.contains(&format!("(the first try, {first}, failed too")),
            "{e}"
        );
        assert!(e.contains("no encryption"), "{e}");
        assert!(
            e.contains("is not signed by a certificate authority"),
            "{e}"
        );
    }
}

#[test]
fn a_client_certificate_authenticates() {
    let Some((mut env, certs)) = tls_server() else {
        return;
    };
    env.insert("user", "dbtc_cert".into());
    env.remove("password");
    let (root, cert, key) = (
        path(&certs, "ca.crt"),
        path(&certs, "client.crt"),
        path(&certs, "client.key"),
    );
    let mut adapter = open(
        &env,
        &[
            ("sslmode", "verify-full"),
            ("sslrootcert", &root),
            ("sslcert", &cert),
            ("sslkey", &key),
        ],
    )
    .unwrap();
    let who = adapter.query("select current_user::text").unwrap().rows;
    assert_eq!(who, vec![vec![Value::from("dbtc_cert")]]);
    // Without the certificate the server has no way to authenticate the role.
    let e = open(&env, &[("sslmode", "require")]).err().unwrap();
    assert!(e.contains("requires a valid client certificate"), "{e}");
    // A certificate without its key is a profile error.
    let e = open(&env, &[("sslmode", "require"), ("sslcert", &cert)])
        .err()
        .unwrap();
    assert!(e.contains("has no private key"), "{e}");
}

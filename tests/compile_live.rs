//! `dbtc compile` after `dbtc build` renders against the database, as `dbt compile` does:
//! the nodes whose templates query data, and the incremental models whose table exists
//! (`is_incremental()` true). Every file of target/compiled equals what `dbt build && dbt
//! compile` writes, and so does every compiled_code of manifest.json
//! (fixtures/<name>/expected/compiled_after_build and compiled_code_after_build.json, and
//! compiled_full_refresh for `compile --full-refresh`; Postgres: expected/postgres/...), all
//! made by scripts/compile_live_goldens.sh with dbt-core 1.11 + dbt-duckdb 1.11.1 /
//! dbt-postgres 1.11.

mod common;
mod pg_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Whitespace-normalized, the test database's name as the goldens' (`golden_<fixture>` on
/// Postgres; `rename` is None on DuckDB).
fn normalized(text: &str, rename: Option<(&str, &str)>) -> String {
    let text = match rename {
        Some((from, to)) => text.replace(from, to),
        None => text.to_string(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The golden folder `expected/<sub>` of a fixture (`expected/postgres/<sub>` on Postgres).
fn golden(fixture: &str, postgres: bool, sub: &str) -> PathBuf {
    let expected = common::fixture_dir(fixture).join("expected");
    if postgres {
        expected.join("postgres").join(sub)
    } else {
        expected.join(sub)
    }
}

/// The golden files of `golden_dir` that target/compiled of `dir` does not reproduce.
fn differing(golden_dir: &Path, dir: &Path, rename: Option<(&str, &str)>) -> Vec<String> {
    files(golden_dir)
        .into_iter()
        .filter_map(|want| {
            let rel = want.strip_prefix(golden_dir).unwrap();
            let got = std::fs::read_to_string(dir.join("target/compiled").join(rel));
            let want = std::fs::read_to_string(&want).unwrap();
            match got {
                Ok(got) if normalized(&got, rename) == normalized(&want, rename) => None,
                _ => Some(rel.display().to_string()),
            }
        })
        .collect()
}

/// unique_id -> (compiled_code, extra_ctes as (id, sql), compiled_path) of the nodes of
/// target/manifest.json that have a compiled_code.
type Compiled = BTreeMap<String, (String, Vec<(String, String)>, Option<String>)>;

fn compiled_code(dir: &Path) -> Compiled {
    let text = std::fs::read_to_string(dir.join("target/manifest.json")).unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    manifest["nodes"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(uid, n)| {
            let code = n["compiled_code"].as_str()?.to_string();
            let path = n["compiled_path"].as_str().map(str::to_string);
            Some((uid.clone(), (code, ctes(&n["extra_ctes"]), path)))
        })
        .collect()
}

fn ctes(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .map(|all| {
            let text = |c: &Value, key: &str| c[key].as_str().unwrap_or_default().to_string();
            all.iter()
                .map(|c| (text(c, "id"), text(c, "sql")))
                .collect()
        })
        .unwrap_or_default()
}

/// The manifest's compiled_code and extra_ctes of every node equal dbt's
/// (whitespace-normalized), and its compiled_code is, byte for byte, the node's file in
/// target/compiled.
fn manifest_agrees(fixture: &str, postgres: bool, dir: &Path, rename: Option<(&str, &str)>) {
    let path = golden(fixture, postgres, "compiled_code_after_build.json");
    let want: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let got = compiled_code(dir);
    let norm_ctes = |ctes: &[(String, String)]| -> Vec<(String, String)> {
        let ctes = ctes.iter();
        ctes.map(|(id, sql)| (id.clone(), normalized(sql, rename)))
            .collect()
    };
    let mut wrong = Vec::new();
    for (uid, want) in &want {
        let code = want["compiled_code"].as_str().unwrap();
        let want_ctes = ctes(&want["extra_ctes"]);
        match got.get(uid) {
            Some((got_code, got_ctes, _))
                if normalized(got_code, rename) == normalized(code, rename)
                    && norm_ctes(got_ctes) == norm_ctes(&want_ctes) => {}
            other => wrong.push(format!("{uid}:\n  dbtc {other:?}\n  dbt  {want}")),
        }
    }
    for (uid, (code, _, path)) in &got {
        let path = path
            .as_deref()
            .unwrap_or_else(|| panic!("{uid}: no compiled_path"));
        let file = std::fs::read_to_string(dir.join(path)).unwrap();
        if &file != code {
            wrong.push(format!("{uid}: compiled_code is not {path}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const BASELINE: &[&str] = &["--static-analysis", "baseline"];

#[test]
fn compile_after_build_renders_introspective_nodes_with_the_database() {
    let (_tmp, dir) = common::fixture_copy("introspective");
    let after_build = golden("introspective", false, "compiled_after_build");
    // Before any build the database file does not exist: compile does not create it, and
    // says why the introspective nodes were rendered without it.
    let (_, out) = common::dbtc_cli("compile", &dir, BASELINE);
    assert!(out.contains("does not exist"), "{out}");
    assert!(!dir.join("dev.duckdb").exists());
    let before = differing(&after_build, &dir, None);
    assert!(
        !before.is_empty(),
        "the ahead-of-time render already equals dbt's: this test would prove nothing"
    );
    let (_, out) = common::dbtc_cli("build", &dir, BASELINE);
    assert!(dir.join("dev.duckdb").exists(), "{out}");
    let (code, out) = common::dbtc_cli("compile", &dir, BASELINE);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        differing(&after_build, &dir, None),
        Vec::<String>::new(),
        "{out}"
    );
    assert!(!out.contains("rendered without"), "{out}");
    manifest_agrees("introspective", false, &dir, None);
}

/// The incremental models of fixtures/compile_incremental render as on their first build
/// before any build and with `--full-refresh`; after a build, with `is_incremental()`
/// true (their `where` filter, an ephemeral CTE only that branch reads), the model that
/// also queries data included; a `full_refresh: true` model and a table stay false.
#[test]
fn compile_after_build_renders_incremental_models_as_dbt_does() {
    let (tmp, dir) = common::fixture_copy("compile_incremental");
    let after_build = golden("compile_incremental", false, "compiled_after_build");
    let full_refresh = golden("compile_incremental", false, "compiled_full_refresh");
    let inc = "compile_incremental/models/events_inc.sql";
    // One model, compiled twice before any build: the second comes from the compile cache.
    let one = ["-s", "events_inc", "--static-analysis", "baseline"];
    let (code, out) = common::dbtc_cli("compile", &dir, &one);
    assert_eq!(code, 0, "{out}");
    let (_, out) = common::dbtc_cli("compile", &dir, &one);
    assert!(out.contains("unchanged since the last compile"), "{out}");
    assert!(!dir.join("dev.duckdb").exists());
    let first_build = std::fs::read_to_string(full_refresh.join(inc)).unwrap();
    let compiled = || std::fs::read_to_string(dir.join("target/compiled").join(inc)).unwrap();
    assert_eq!(
        normalized(&compiled(), None),
        normalized(&first_build, None)
    );

    // A build that leaves the project folder alone (its target path is outside): only the
    // database changes, and the compile cache must not hide it.
    let elsewhere = tmp.path().join("build_target");
    let (code, out) = common::dbtc_cli(
        "build",
        &dir,
        &["--target-path", elsewhere.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = common::dbtc_cli("compile", &dir, &one);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("unchanged since the last compile"), "{out}");
    let want = std::fs::read_to_string(after_build.join(inc)).unwrap();
    assert_ne!(normalized(&want, None), normalized(&first_build, None));
    assert_eq!(
        normalized(&compiled(), None),
        normalized(&want, None),
        "{out}"
    );
    // The database unchanged since: the cache answers, with the same files.
    let (_, out) = common::dbtc_cli("compile", &dir, &one);
    assert!(out.contains("unchanged since the last compile"), "{out}");
    assert_eq!(
        normalized(&compiled(), None),
        normalized(&want, None),
        "{out}"
    );

    let (code, out) = common::dbtc_cli("compile", &dir, BASELINE);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        differing(&after_build, &dir, None),
        Vec::<String>::new(),
        "{out}"
    );
    assert!(!out.contains("rendered without"), "{out}");
    manifest_agrees("compile_incremental", false, &dir, None);

    let with_flag = ["--full-refresh", "--static-analysis", "baseline"];
    let (code, out) = common::dbtc_cli("compile", &dir, &with_flag);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        differing(&full_refresh, &dir, None),
        Vec::<String>::new(),
        "{out}"
    );
    // ... and not from the cache of the compile without it.
    let (code, out) = common::dbtc_cli("compile", &dir, BASELINE);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        differing(&after_build, &dir, None),
        Vec::<String>::new(),
        "{out}"
    );
}

/// The same on Postgres (skipped without DBTC_TEST_PG_*: see tests/pg_common).
#[test]
fn postgres_compile_after_build_renders_incremental_models_as_dbt_does() {
    let Some(env) = pg_common::server() else {
        return;
    };
    let fixture = "compile_incremental";
    let db = pg_common::TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy(fixture);
    std::fs::copy(
        golden(fixture, true, "profiles.yml"),
        dir.join("profiles.yml"),
    )
    .unwrap();
    let golden_db = format!("golden_{fixture}");
    let rename = Some((db.name.as_str(), golden_db.as_str()));
    let run = |verb: &str, extra: &[&str]| {
        let out = pg_common::dbtc(&db, verb, &dir, extra).output().unwrap();
        (out.status.code(), pg_common::text(&out))
    };
    let after_build = golden(fixture, true, "compiled_after_build");
    let (code, out) = run("compile", BASELINE);
    assert_eq!(code, Some(0), "{out}");
    assert!(!differing(&after_build, &dir, rename).is_empty(), "{out}");
    let (code, out) = run("build", BASELINE);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run("compile", BASELINE);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        differing(&after_build, &dir, rename),
        Vec::<String>::new(),
        "{out}"
    );
    manifest_agrees(fixture, true, &dir, rename);
    let (code, out) = run(
        "compile",
        &["--full-refresh", "--static-analysis", "baseline"],
    );
    assert_eq!(code, Some(0), "{out}");
    let full_refresh = golden(fixture, true, "compiled_full_refresh");
    assert_eq!(
        differing(&full_refresh, &dir, rename),
        Vec::<String>::new(),
        "{out}"
    );
}

/// A Postgres target that refuses connections: compile still succeeds, with the
/// incremental models rendered as on a first build and a warning saying why, and such a
/// compile is never answered from the compile cache (the server may be up next time).
#[test]
fn unreachable_postgres_keeps_the_first_build_render_and_no_cache() {
    let (_tmp, dir) = common::fixture_copy("compile_incremental");
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profile = format!(
        "compile_incremental:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      \
         host: 127.0.0.1\n      port: {port}\n      user: nobody\n      password: none\n      \
         dbname: nothing\n      schema: main\n      threads: 1\n      connect_timeout: 2\n"
    );
    std::fs::write(dir.join("profiles.yml"), profile).unwrap();
    let one = ["-s", "events_inc", "--static-analysis", "baseline"];
    for _ in 0..2 {
        let (code, out) = common::dbtc_cli("compile", &dir, &one);
        assert_eq!(code, 0, "{out}");
        let why = "1 incremental model(s) may have a table in the database, and the target \
                   cannot be reached";
        assert!(out.contains(why), "{out}");
        assert!(!out.contains("unchanged since the last compile"), "{out}");
    }
    let inc = "compile_incremental/models/events_inc.sql";
    let first_build = std::fs::read_to_string(
        golden("compile_incremental", true, "compiled_full_refresh").join(inc),
    )
    .unwrap();
    let got = std::fs::read_to_string(dir.join("target/compiled").join(inc)).unwrap();
    // The goldens' database name is golden_compile_incremental; this profile's, nothing.
    let rename = Some(("\"nothing\"", "\"golden_compile_incremental\""));
    assert_eq!(normalized(&got, rename), normalized(&first_build, rename));
}

//! On Postgres, the SQL `dbtc compile` writes after a build is byte-identical to what
//! dbt-core 1.11 + dbt-postgres 1.11 wrote (`dbt build && dbt compile`, the goldens under
//! fixtures/*/expected/postgres/compiled_after_build, scripts/postgres_goldens.sh): the
//! whitespace the built-in macros render included. Files that differ in more than
//! whitespace are tests/postgres.rs's business (its COMPILE_GAPS) and are only counted here.
//! fixtures/builtin_variants (dbt's built-in macros in many argument variants, generic tests
//! in many forms) is there for this comparison; its build outcomes are compared too.
//! Without a server (DBTC_TEST_PG_*) the tests print a notice and pass.

mod byte_compare;
mod common;
mod pg_common;

use byte_compare::{files_under, first_difference, normalize, whitespace_problems};
use dbtc::exec::Adapter;
use pg_common::{TestDb, dbtc, read_json, server, text};

/// Files known to differ from dbt's golden in whitespace only: (fixture, file, reason).
const KNOWN_WHITESPACE: &[(&str, &str, &str)] = &[];

/// Builds `fixture` in a database of its own, compiles it, and compares each golden file:
/// returns (byte-identical, whitespace-only differences, other differences).
fn compare(env: &std::collections::BTreeMap<&'static str, String>, fixture: &str) -> Compared {
    let golden = common::fixture_dir(fixture).join("expected/postgres");
    let db = TestDb::create(env.clone());
    let (_tmp, dir) = common::fixture_copy(fixture);
    std::fs::copy(golden.join("profiles.yml"), dir.join("profiles.yml")).unwrap();
    if let Ok(sources) = std::fs::read_to_string(golden.join("_sources.sql")) {
        db.adapter().execute(&sources).unwrap();
    }
    // The build's outcome (failing tests included) is checked by tests/postgres.rs.
    let build = dbtc(&db, "build", &dir, &["--static-analysis", "baseline"])
        .output()
        .unwrap();
    let compile = dbtc(&db, "compile", &dir, &["--static-analysis", "baseline"])
        .output()
        .unwrap();
    let console = format!("{}{}", text(&build), text(&compile));
    let golden_dir = golden.join("compiled_after_build");
    let mut out = Compared::default();
    for want_path in files_under(&golden_dir) {
        let rel = want_path.strip_prefix(&golden_dir).unwrap();
        let want = std::fs::read_to_string(&want_path).unwrap();
        let Ok(got) = std::fs::read_to_string(dir.join("target/compiled").join(rel)) else {
            out.other.push(format!("{}: not written", rel.display()));
            continue;
        };
        // The goldens name the database golden_<fixture>.
        let got = got.replace(&db.name, &format!("golden_{fixture}"));
        if got == want {
            out.bytes += 1;
        } else if normalize(&got) == normalize(&want) {
            out.whitespace
                .push((rel.display().to_string(), first_difference(&want, &got)));
        } else {
            out.other.push(rel.display().to_string());
        }
    }
    assert!(
        out.bytes + out.whitespace.len() + out.other.len() > 0,
        "{fixture}: no goldens\n{console}"
    );
    out
}

#[derive(Default)]
struct Compared {
    bytes: usize,
    whitespace: Vec<(String, String)>,
    other: Vec<String>,
}

#[test]
fn compiled_after_build_is_byte_identical_to_dbt_postgres() {
    let Some(env) = server() else { return };
    let fixtures: Vec<String> = std::fs::read_dir(common::fixture_dir(""))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.path()
                .join("expected/postgres/compiled_after_build")
                .is_dir()
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!fixtures.is_empty(), "no Postgres goldens found");
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    for fixture in &fixtures {
        let got = compare(&env, fixture);
        let known: Vec<(&str, &str)> = KNOWN_WHITESPACE
            .iter()
            .filter(|(f, _, _)| f == fixture)
            .map(|(_, file, reason)| (*file, *reason))
            .collect();
        summary.push(format!(
            "{fixture}: {} byte-identical, {} whitespace-only, {} other",
            got.bytes,
            got.whitespace.len(),
            got.other.len()
        ));
        problems.extend(
            whitespace_problems(&got.whitespace, &known)
                .into_iter()
                .map(|p| format!("{fixture}: {p}")),
        );
    }
    println!("{}", summary.join("\n"));
    assert!(
        problems.is_empty(),
        "{}\n{}",
        summary.join("\n"),
        problems.join("\n")
    );
}

/// The builtin_variants fixture exists for the comparison above; its build on Postgres
/// also gives dbt-postgres's status and failure count for every node
/// (expected/postgres/results.json), so the SQL compared is SQL that runs.
#[test]
fn builtin_variants_build_matches_dbt_postgres() {
    let Some(env) = server() else { return };
    let golden = common::fixture_dir("builtin_variants").join("expected/postgres");
    let db = TestDb::create(env);
    let (_tmp, dir) = common::fixture_copy("builtin_variants");
    std::fs::copy(golden.join("profiles.yml"), dir.join("profiles.yml")).unwrap();
    let out = dbtc(&db, "build", &dir, &[]).output().unwrap();
    let console = text(&out);
    let outcomes = |doc: serde_json::Value| -> Vec<(String, String, String)> {
        let mut rows: Vec<_> = doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["unique_id"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    r["failures"].to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let want = outcomes(read_json(&golden.join("results.json")));
    let got = outcomes(read_json(&dir.join("target/run_results.json")));
    assert_eq!(got, want, "{console}");
    assert!(want.len() > 10, "{want:?}");
}

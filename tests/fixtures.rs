//! Compiles each fixture project and compares dbtc's compiled SQL with the goldens that
//! dbt-core 1.11 wrote (scripts/goldens.sh): byte for byte, the whitespace that dbt's
//! macros render included. Files whose only difference is whitespace, and files that differ
//! in more than whitespace, are listed per fixture with the reason; a listed file that
//! starts to match fails the test, so the lists cannot go stale. The introspective fixture
//! is compared after a build (expected/compiled_after_build), through the CLI.

mod byte_compare;
mod common;

use std::path::PathBuf;

use byte_compare::{files_under, first_difference, normalize, whitespace_problems};

use dbtc::artifacts::compiled_path;
use dbtc::compile::compile_project;

/// How one fixture's compiled files compare with dbt-core's goldens.
#[derive(Default)]
struct Comparison {
    /// Byte-identical files.
    bytes: usize,
    /// Files equal only once whitespace is normalized: (file, where they first differ).
    whitespace_only: Vec<(String, String)>,
    /// Files that differ in more than whitespace, or are missing, and errors.
    bad: Vec<String>,
}

fn check_fixture(name: &str) -> Comparison {
    let root = common::fixture_dir(name);
    let (db, project) = common::load_fixture(name);
    let out = compile_project(&db, project, None);
    let fake_target = PathBuf::from("/target");
    let mut produced = std::collections::BTreeMap::new();
    for node in &out.nodes {
        if let (Some(sql), Some(path)) = (
            &node.sql,
            compiled_path(&db, project, &fake_target, &node.unique_id),
        ) {
            let rel = path
                .strip_prefix(fake_target.join("compiled"))
                .unwrap()
                .to_path_buf();
            produced.insert(rel, sql.to_string());
        }
    }
    let expected_dir = root.join("expected").join("compiled");
    let mut cmp = Comparison::default();
    for file in files_under(&expected_dir) {
        let rel = file.strip_prefix(&expected_dir).unwrap().to_path_buf();
        let expected = std::fs::read_to_string(&file).unwrap();
        match produced.get(&rel) {
            Some(sql) if *sql == expected => cmp.bytes += 1,
            Some(sql) if normalize(sql) == normalize(&expected) => cmp
                .whitespace_only
                .push((rel.display().to_string(), first_difference(&expected, sql))),
            Some(sql) => cmp.bad.push(format!(
                "{}: differs\n  dbt : {}\n  dbtc: {}",
                rel.display(),
                normalize(&expected),
                normalize(sql)
            )),
            None => cmp.bad.push(format!("{}: not produced", rel.display())),
        }
    }
    let errors: Vec<String> = out
        .diagnostics
        .iter()
        // Analysis findings (E4xxx) are checked in tests/analysis.rs: some fixture models
        // are invalid SQL on purpose (dbt compiles them all the same).
        .filter(|d| d.is_error() && !d.code.starts_with("E4"))
        .map(|d| d.message.clone())
        .collect();
    if !errors.is_empty() {
        cmp.bad.push(format!("errors: {errors:?}"));
    }
    cmp
}

fn assert_fixture(name: &str) {
    assert_fixture_except(name, &[], &[]);
}

/// Compares a fixture with its goldens byte for byte. `known` files are expected to differ
/// in more than whitespace, `known_whitespace` files in whitespace only (each with its
/// reason); the test fails if one of them starts to match, or if any other file is not
/// byte-identical to dbt-core's.
fn assert_fixture_except(name: &str, known: &[(&str, &str)], known_whitespace: &[(&str, &str)]) {
    let Comparison {
        bytes,
        whitespace_only,
        mut bad,
    } = check_fixture(name);
    for (file, _reason) in known {
        let before = bad.len();
        bad.retain(|b| !b.starts_with(&format!("{file}: differs")));
        assert!(
            bad.len() < before,
            "{file} now matches dbt-core: remove it from the known gaps"
        );
    }
    bad.extend(whitespace_problems(&whitespace_only, known_whitespace));
    assert!(
        bad.is_empty(),
        "{name}: {bytes} byte-identical, {} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(bytes > 0, "{name}: no goldens found");
}

#[test]
fn shop_matches_dbt_core() {
    assert_fixture("shop");
}

#[test]
fn macros_pkg_matches_dbt_core() {
    assert_fixture("macros_pkg");
}

#[test]
fn configs_matches_dbt_core() {
    assert_fixture("configs");
}

#[test]
fn builtin_macros_match_dbt_core() {
    assert_fixture_except(
        "builtin_macros",
        &[(
            "builtin_macros/models/date_spine.sql",
            "dbt.date_spine runs a query at compile time (get_intervals_between: statement/load_result), which dbt compile ran on the DuckDB file; this in-process compile has no database, so the query returns no rows (compiled after a build on Postgres it is byte-identical: tests/pg_compiled_bytes.rs)",
        )],
        &[],
    );
}

/// dbt's built-in macros in many argument variants and generic tests in many forms
/// (where, store_failures, quote: false, custom tests with and without trimming tags).
#[test]
fn builtin_variants_match_dbt_core() {
    assert_fixture("builtin_variants");
}

#[test]
fn project_jinja_matches_dbt_core() {
    assert_fixture("project_jinja");
}

#[test]
fn ephemerals_match_dbt_core() {
    assert_fixture("ephemerals");
}

/// After `dbtc build`, `dbtc compile` renders the introspective nodes (run_query,
/// get_column_values, dbt.date_spine, ...) with the database's answers: byte-identical to
/// what `dbt compile` wrote after `dbt build` (expected/compiled_after_build).
#[test]
fn introspective_after_build_matches_dbt_core() {
    let (_tmp, dir) = common::fixture_copy("introspective");
    for verb in ["build", "compile"] {
        let (code, out) = common::dbtc_cli(verb, &dir, &["--static-analysis", "baseline"]);
        assert_eq!(code, 0, "dbtc {verb}:\n{out}");
    }
    let golden = common::fixture_dir("introspective").join("expected/compiled_after_build");
    let mut bytes = 0;
    let mut problems = Vec::new();
    for file in files_under(&golden) {
        let rel = file.strip_prefix(&golden).unwrap();
        let want = std::fs::read_to_string(&file).unwrap();
        match std::fs::read_to_string(dir.join("target/compiled").join(rel)) {
            Ok(got) if got == want => bytes += 1,
            Ok(got) => problems.push(format!(
                "{}: {}",
                rel.display(),
                first_difference(&want, &got)
            )),
            Err(e) => problems.push(format!("{}: {e}", rel.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(bytes > 0, "no goldens found");
}

//! `dbtc compile` after `dbtc build` renders the nodes whose templates query data with the
//! database, as `dbt compile` does: every file of target/compiled equals what `dbt build &&
//! dbt compile` writes (fixtures/introspective/expected/compiled_after_build, made by
//! scripts/compile_live_goldens.sh with dbt-core 1.11 + dbt-duckdb 1.11.1).

mod common;

use std::path::{Path, PathBuf};

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

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The golden files that target/compiled of `dir` does not reproduce.
fn differing(dir: &Path) -> Vec<String> {
    let golden = common::fixture_dir("introspective").join("expected/compiled_after_build");
    files(&golden)
        .into_iter()
        .filter_map(|want| {
            let rel = want.strip_prefix(&golden).unwrap();
            let got = std::fs::read_to_string(dir.join("target/compiled").join(rel));
            let want = std::fs::read_to_string(&want).unwrap();
            match got {
                Ok(got) if normalized(&got) == normalized(&want) => None,
                _ => Some(rel.display().to_string()),
            }
        })
        .collect()
}

#[test]
fn compile_after_build_renders_introspective_nodes_with_the_database() {
    let (_tmp, dir) = common::fixture_copy("introspective");
    // Before any build the database file does not exist: compile does not create it, and
    // says why the introspective nodes were rendered without it.
    let (_, out) = common::dbtc_cli("compile", &dir, &["--static-analysis", "baseline"]);
    assert!(out.contains("does not exist"), "{out}");
    assert!(!dir.join("dev.duckdb").exists());
    let before = differing(&dir);
    assert!(
        !before.is_empty(),
        "the ahead-of-time render already equals dbt's: this test would prove nothing"
    );
    let (_, out) = common::dbtc_cli("build", &dir, &["--static-analysis", "baseline"]);
    assert!(dir.join("dev.duckdb").exists(), "{out}");
    let (code, out) = common::dbtc_cli("compile", &dir, &["--static-analysis", "baseline"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(differing(&dir), Vec::<String>::new(), "{out}");
    assert!(!out.contains("rendered without"), "{out}");
}

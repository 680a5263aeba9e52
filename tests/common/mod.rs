//! Shared by the integration tests.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code, reason = "each test crate uses a subset of these helpers")]

use std::path::PathBuf;

use dbtc::db::{OsSystem, Project, RootDb};
use dbtc::project::{LoadOptions, load_project};

/// The folder of a fixture project.
pub fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fixture project loaded into a fresh database (profiles.yml from the fixture folder,
/// no environment variables, so env_var() defaults apply as in the dbt-core goldens).
pub fn load_fixture(name: &str) -> (RootDb, Project) {
    let db = RootDb::default();
    let project = load_project(&db, &OsSystem, &LoadOptions::in_dir(fixture_dir(name)));
    (db, project)
}

/// Copies a fixture project without its build products (target/, expected/, *.duckdb).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = entry.file_name();
        if name == "target" || name == "expected" || name.to_string_lossy().ends_with(".duckdb") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A copy of a fixture in a temp dir (a profile's DuckDB path is relative to it).
pub fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(name);
    copy_dir(&fixture_dir(name), &dir);
    (tmp, dir)
}

/// Runs the dbtc binary (`dbtc <verb> --project-dir DIR --profiles-dir DIR ...`): exit code
/// and stdout + stderr.
pub fn dbtc_cli(verb: &str, dir: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .arg(verb)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir)
        .args(extra)
        .env_remove("SHOP_REPORTING_CURRENCY")
        .output()
        .expect("run dbtc");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The fixtures' DuckDB file (`dev.duckdb` in the project folder).
pub fn open_duckdb(dir: &std::path::Path) -> dbtc::exec::duckdb::DuckDbAdapter {
    let mut target = dbtc::project::profiles::Target::fallback("t");
    target.fields.insert("path".into(), "dev.duckdb".into());
    dbtc::exec::duckdb::DuckDbAdapter::open(&target, dir).expect("open duckdb")
}

pub fn relation(schema: &str, table: &str) -> dbtc::exec::Relation {
    dbtc::exec::Relation {
        database: None,
        schema: schema.into(),
        identifier: table.into(),
    }
}

/// A relation as the golden scripts dump it: columns with DuckDB types and every row as
/// text, ordered by all columns; `with_kind` adds "kind" (table/view).
pub fn dump(
    adapter: &mut dbtc::exec::duckdb::DuckDbAdapter,
    schema: &str,
    table: &str,
    with_kind: bool,
) -> serde_json::Value {
    use dbtc::exec::Adapter as _;
    let rel = relation(schema, table);
    let columns = adapter.columns(&rel).expect("columns");
    let casts: Vec<String> = columns
        .iter()
        .map(|c| format!("cast({} as varchar)", adapter.quote(&c.name)))
        .collect();
    let rows = adapter
        .query(&format!(
            "select {} from {} order by all",
            casts.join(", "),
            adapter.render_relation(&rel)
        ))
        .expect("query")
        .rows;
    let mut out = serde_json::json!({
        "relation": format!("{schema}.{table}"),
        "columns": columns.iter().map(|c| serde_json::json!({"name": c.name, "type": c.data_type})).collect::<Vec<_>>(),
        "rows": rows,
    });
    if with_kind {
        let kind = adapter
            .relation_kind(&rel)
            .expect("relation kind")
            .expect("relation exists");
        out["kind"] = serde_json::json!(kind);
    }
    out
}

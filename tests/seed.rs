//! `dbtc seed` against DuckDB, compared with what `dbt seed` (dbt-core 1.11 + dbt-duckdb
//! 1.11.1) creates: fixtures/<name>/expected/seeds/<schema>.<table>.json, written by
//! scripts/seed_goldens.sh (column names, DuckDB types, rows ordered by every column).

mod common;

use std::path::Path;

use dbtc::exec::duckdb::DuckDbAdapter;
use dbtc::exec::{Adapter, Relation};
use serde_json::{Value, json};

fn tables(adapter: &mut DuckDbAdapter) -> Vec<(String, String)> {
    adapter
        .query(
            "select table_schema, table_name from information_schema.tables \
             where table_catalog = current_database() order by 1, 2",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn check_fixture(name: &str) {
    let (_tmp, dir) = common::fixture_copy(name);
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let expected_dir = common::fixture_dir(name).join("expected/seeds");
    let mut expected: Vec<String> = std::fs::read_dir(&expected_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    expected.sort();
    let mut adapter = common::open_duckdb(&dir);
    let got: Vec<String> = tables(&mut adapter)
        .iter()
        .map(|(s, t)| format!("{s}.{t}.json"))
        .collect();
    assert_eq!(got, expected, "{name}: seeded relations");
    for file in &expected {
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(expected_dir.join(file)).unwrap())
                .unwrap();
        let (schema, table) = file.trim_end_matches(".json").split_once('.').unwrap();
        assert_eq!(
            common::dump(&mut adapter, schema, table, false),
            want,
            "{name}: {file}"
        );
    }
}

#[test]
fn shop_seeds_match_dbt() {
    check_fixture("shop");
}

#[test]
fn configs_seeds_match_dbt() {
    check_fixture("configs");
}

#[test]
fn builtin_macros_seeds_match_dbt() {
    check_fixture("builtin_macros");
}

#[test]
fn macros_pkg_seeds_match_dbt() {
    check_fixture("macros_pkg");
}

#[test]
fn output_and_reload() {
    let (_tmp, dir) = common::fixture_copy("shop");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 of 2 OK loaded seed file main.country_codes"),
        "{out}"
    );
    assert!(out.contains("[INSERT 4 in "), "{out}");
    assert!(
        out.contains("Done. PASS=2 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=2"),
        "{out}"
    );
    // A second load (truncate-and-reload semantics) and a full refresh give the same data.
    let (code, out) = common::dbtc_cli("seed", &dir, &["-s", "tea_catalog"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("TOTAL=1"), "{out}");
    let (code, out) = common::dbtc_cli("seed", &dir, &["--full-refresh"]);
    assert_eq!(code, 0, "{out}");
    let mut adapter = common::open_duckdb(&dir);
    assert_eq!(
        common::dump(&mut adapter, "main", "tea_catalog", false)["rows"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

fn row_count(dir: &Path, table: &str) -> Value {
    let mut adapter = common::open_duckdb(dir);
    adapter
        .query(&format!("select count(*) from main.{table}"))
        .unwrap()
        .rows[0][0]
        .clone()
}

#[test]
fn failing_seed_keeps_the_old_table() {
    let (_tmp, dir) = common::fixture_copy("shop");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");

    // A value that does not fit the column's type.
    let csv = dir.join("seeds/tea_catalog.csv");
    let original = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, format!("{original}6,Broken,green,not_a_number,1\n")).unwrap();
    let (code, out) = common::dbtc_cli("seed", &dir, &["-s", "tea_catalog"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 of 1 ERROR loading seed file main.tea_catalog"),
        "{out}"
    );
    assert!(out.contains("ERROR=1"), "{out}");
    assert_eq!(row_count(&dir, "tea_catalog"), json!(5));
    // Same with --full-refresh (new types inferred, then the COPY fails on column_types).
    let (code, out) = common::dbtc_cli("seed", &dir, &["-s", "tea_catalog", "--full-refresh"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(row_count(&dir, "tea_catalog"), json!(5));

    // A bad column_types config.
    std::fs::write(&csv, &original).unwrap();
    let project = dir.join("dbt_project.yml");
    let yml = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        yml.replace("caffeine_mg: smallint", "caffeine_mg: no_such_type"),
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("seed", &dir, &["-s", "tea_catalog", "--full-refresh"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(row_count(&dir, "tea_catalog"), json!(5));
    let mut adapter = common::open_duckdb(&dir);
    let kinds = tables(&mut adapter);
    assert!(
        !kinds.iter().any(|(_, t)| t.contains("dbtc_tmp")),
        "{kinds:?}"
    );
}

/// Inference edge cases; the expected types are what `dbt seed` (dbt-core 1.11,
/// dbt-duckdb 1.11.1) created for the same CSVs.
#[test]
fn inference_edge_cases_match_dbt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("seeds")).unwrap();
    std::fs::write(
        dir.join("dbt_project.yml"),
        "name: edge\nprofile: edge\nversion: \"1.0\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("profiles.yml"),
        "edge:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
    )
    .unwrap();
    std::fs::write(dir.join("seeds/empty.csv"), "a,b\n").unwrap();
    std::fs::write(
        dir.join("seeds/mixed.csv"),
        "i,d,ts,iso,yn,b,e,money\n\
         1,1.0,2024-01-01 10:00:00,2024-01-01T10:00:00,yes,TRUE,1e3,12.00\n\
         2,2,2024-01-02 11:00:00,2024-01-02T11:00:00,no,false,2,3\n",
    )
    .unwrap();
    let (code, out) = common::dbtc_cli("seed", dir, &[]);
    assert_eq!(code, 0, "{out}");
    let mut adapter = common::open_duckdb(dir);
    let types = |adapter: &mut DuckDbAdapter, table: &str| -> Vec<String> {
        let rel = Relation {
            database: None,
            schema: "main".into(),
            identifier: table.into(),
        };
        adapter
            .columns(&rel)
            .unwrap()
            .into_iter()
            .map(|c| format!("{} {}", c.name, c.data_type))
            .collect()
    };
    assert_eq!(types(&mut adapter, "empty"), ["a INTEGER", "b INTEGER"]);
    assert_eq!(
        types(&mut adapter, "mixed"),
        [
            "i INTEGER",
            "d INTEGER",
            "ts TIMESTAMP",
            "iso TIMESTAMP",
            "yn VARCHAR",
            "b BOOLEAN",
            "e INTEGER",
            "money INTEGER"
        ]
    );
    let rows = common::dump(&mut adapter, "main", "mixed", false)["rows"].clone();
    assert_eq!(
        rows,
        json!([
            [
                "1",
                "1",
                "2024-01-01 10:00:00",
                "2024-01-01 10:00:00",
                "yes",
                "true",
                "1000",
                "12"
            ],
            [
                "2",
                "2",
                "2024-01-02 11:00:00",
                "2024-01-02 11:00:00",
                "no",
                "false",
                "2",
                "3"
            ]
        ])
    );
}

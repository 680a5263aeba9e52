//! dbt_project.yml's old path keys: `source-paths` (now `model-paths`) and `data-paths`
//! (now `seed-paths`) still place models and seeds when the new keys are absent, as in dbt
//! 1.x. Expected values written from what dbt-core 1.11 + dbt-duckdb 1.11.1 did on
//! fixtures/legacy_paths (`dbt build`: seed people and model m, PASS=2; the compiled model
//! at target/compiled/legacy_paths/src_models/m.sql; two deprecation warnings).

mod common;

#[test]
fn source_paths_and_data_paths_place_models_and_seeds() {
    let (_tmp, dir) = common::fixture_copy("legacy_paths");
    let (code, out) = common::dbtc_cli("build", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS=2 ") && out.contains("TOTAL=2"), "{out}");
    assert!(
        dir.join("target/compiled/legacy_paths/src_models/m.sql")
            .is_file(),
        "{out}"
    );
    let mut db = common::open_duckdb(&dir);
    let rows = dbtc::exec::Adapter::query(&mut db, "select id, name from main.m").unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![serde_json::json!(1), serde_json::json!("a")]]
    );
}

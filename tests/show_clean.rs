//! `dbtc show` prints rows as `dbt show` does, and `dbtc clean` deletes clean-targets.

mod common;

/// `dbt show --inline "..." --limit 3` on the seeded fixtures/incremental printed this
/// (dbt-core 1.11 + dbt-duckdb 1.11.1).
const DBT_SHOW: &str = "Previewing inline node:
| id | amount |        day | s | n |
| -- | ------ | ---------- | - | - |
|  1 |  10.50 | 2024-01-01 | x |   |
|  2 |  20.00 | 2024-01-01 | x |   |
|  3 |   5.25 | 2024-01-02 | x |   |";

#[test]
fn show_inline_prints_as_dbt() {
    let (_tmp, dir) = common::fixture_copy("incremental");
    let (code, out) = common::dbtc_cli("seed", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    let sql = "select id, amount, day, 'x' as s, null as n from {{ ref('events') }} order by id";
    let (code, out) = common::dbtc_cli("show", &dir, &["--inline", sql, "--limit", "3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(DBT_SHOW), "{out}");
    let (code, out) = common::dbtc_cli("show", &dir, &["-s", "events", "--limit", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Previewing node 'events':"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with('|')).count(),
        3,
        "{out}"
    );
    let (code, out) = common::dbtc_cli("show", &dir, &["--inline", "select * from nowhere"]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn clean_deletes_the_target_folder() {
    let (_tmp, dir) = common::fixture_copy("incremental");
    common::dbtc_cli("seed", &dir, &[]);
    assert!(dir.join("target").is_dir());
    let (code, out) = common::dbtc_cli("clean", &dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir.join("target").exists(), "{out}");
    assert!(out.contains("Finished cleaning all paths."), "{out}");
}

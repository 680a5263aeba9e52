//! Snapshot dumps compared without the clock: shared by the DuckDB and Postgres tests of
//! fixtures/incremental.

use serde_json::{Value, json};

/// A snapshot dump with the values that come from the clock replaced by their rank
/// (`T1`, `T2`: the first and second run), and `dbt_scd_id` (a hash of the key and that
/// time) checked to be an md5 unique in the table, then blanked. What stays compared:
/// every row's data, which rows are current (`dbt_valid_to` null) and that a closed
/// row's `dbt_valid_to` is the time its successor became valid.
pub fn clock_free(mut dump: Value) -> Value {
    let columns: Vec<String> = dump["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let times = [
        at("dbt_updated_at"),
        at("dbt_valid_from"),
        at("dbt_valid_to"),
    ];
    let scd = at("dbt_scd_id");
    let rows = dump["rows"].as_array_mut().unwrap();
    let mut distinct: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            times
                .iter()
                .filter_map(|&i| r[i].as_str().map(str::to_string))
        })
        .collect();
    distinct.sort();
    distinct.dedup();
    let mut ids = std::collections::BTreeSet::new();
    for row in rows.iter_mut() {
        for &i in &times {
            if let Some(t) = row[i].as_str() {
                let rank = distinct.iter().position(|d| d == t).unwrap() + 1;
                row[i] = json!(format!("T{rank}"));
            }
        }
        let id = row[scd].as_str().unwrap().to_string();
        assert!(
            id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(ids.insert(id), "dbt_scd_id repeated");
        row[scd] = json!("<md5>");
    }
    rows.sort_by_key(|r| r.to_string());
    dump
}

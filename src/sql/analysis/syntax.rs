//! A second opinion on syntax: sqlparser does not know every DuckDB construct (`ASOF JOIN`,
//! the `PIVOT` statement, `USING SAMPLE`, ...), so when it fails on a DuckDB model, DuckDB's
//! own parser (`json_serialize_sql`, which parses without binding) decides. A model DuckDB
//! parses is not flagged; it is just not analyzed.

use std::cell::RefCell;

thread_local! {
    static CONNECTION: RefCell<Option<duckdb::Connection>> = const { RefCell::new(None) };
}

/// Whether DuckDB's parser accepts `sql`; None when the parser could not be asked.
pub fn duckdb_parses(sql: &str) -> Option<bool> {
    CONNECTION.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = duckdb::Connection::open_in_memory().ok();
        }
        let conn = slot.as_ref()?;
        let text: String = conn
            .query_row("select json_serialize_sql(?::VARCHAR)", [sql], |row| {
                row.get(0)
            })
            .ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        let failed = value.get("error").and_then(serde_json::Value::as_bool) == Some(true)
            && value.get("error_type").and_then(serde_json::Value::as_str) == Some("parser");
        Some(!failed)
    })
}

//! The oracle: DuckDB's own binder, asked through `DESCRIBE <query>` (binds, never runs).

/// What DuckDB says about a query.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Bound: output columns as (name, DESCRIBE type string).
    Valid(Vec<(String, String)>),
    /// Failed after parsing (Binder/Catalog/Conversion/... error): a bind error.
    BindError(String),
    /// DuckDB's own parser refused it: not a bind-time verdict, so it is not scored.
    SyntaxError(String),
}

/// An in-memory DuckDB holding the upstream tables of `schemas.sql`.
pub fn connection(schemas_sql: &str) -> duckdb::Connection {
    let conn = duckdb::Connection::open_in_memory().expect("open in-memory DuckDB");
    conn.execute_batch(schemas_sql)
        .expect("create upstream tables");
    conn
}

/// DESCRIBE's (column_name, column_type) rows for `query`, or DuckDB's error text.
pub fn describe(conn: &duckdb::Connection, query: &str) -> Result<Vec<(String, String)>, String> {
    let q = query.trim().trim_end_matches(';').trim_end();
    let mut stmt = conn
        .prepare(&format!("DESCRIBE {q}"))
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| e.to_string())?;
    rows.map(|r| r.map_err(|e| e.to_string())).collect()
}

pub fn verdict(conn: &duckdb::Connection, query: &str) -> Verdict {
    match describe(conn, query) {
        Ok(cols) => Verdict::Valid(cols),
        Err(e) if e.contains("Parser Error") || e.contains("syntax error") => {
            Verdict::SyntaxError(first_line(&e))
        }
        Err(e) => Verdict::BindError(first_line(&e)),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

//! Writes the catalog data file from a live DuckDB connection.
//!
//! The same function backs `examples/duckdb_catalog.rs` (which regenerates the checked-in
//! file) and the test that proves the checked-in file is what the linked DuckDB reports.

use duckdb::Connection;

/// The command that regenerates the checked-in file, printed at its top.
pub const COMMAND: &str =
    "cargo run --example duckdb_catalog > src/sql/catalog/duckdb_functions.tsv";

/// Positional parameters of table functions are listed as `col0`, `col1`, ...; the others
/// are named parameters (`header := true`), which never take part in overload resolution.
fn is_positional(name: &str) -> bool {
    name.strip_prefix("col")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn json_strings(text: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<Option<String>>>(text) {
        Ok(v) => v.into_iter().map(|s| s.unwrap_or_default()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The data file for the DuckDB behind `con`: a version line, the keywords (struct field
/// names that are keywords get quoted by DESCRIBE), then one line per function overload, in a
/// deterministic order. Fields are tab-separated:
///
/// - `version <duckdb version>`
/// - `keyword <name> <category>`
/// - `<kind> <name> <return type or -> <varargs type or -> <parameter types...>` where kind is
///   `scalar`, `aggregate`, `table`, `macro` or `table_macro` (macros list `?` per parameter).
pub fn catalog_tsv(con: &Connection) -> duckdb::Result<String> {
    let mut out = String::new();
    out.push_str("# The DuckDB function catalog dbtc types calls with. Generated, do not edit:\n");
    out.push_str(&format!("#   {COMMAND}\n"));
    out.push_str("# Lines: version | keyword NAME CATEGORY | KIND NAME RETURN VARARGS PARAM...\n");
    let version: String = con.query_row("SELECT version()", [], |r| r.get(0))?;
    out.push_str(&format!("version\t{version}\n"));

    let mut stmt =
        con.prepare("SELECT keyword_name, keyword_category FROM duckdb_keywords() ORDER BY ALL")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (name, category) = row?;
        out.push_str(&format!("keyword\t{name}\t{category}\n"));
    }

    let mut stmt = con.prepare(
        "SELECT DISTINCT function_type, function_name, coalesce(return_type, '-'),
                coalesce(varargs, '-'), to_json(parameters)::VARCHAR,
                to_json(parameter_types)::VARCHAR
         FROM duckdb_functions()
         WHERE function_type IN ('scalar', 'aggregate', 'table', 'macro', 'table_macro')
           AND schema_name IN ('main', 'pg_catalog')",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in rows {
        let (kind, name, ret, varargs, names, types) = row?;
        let names = json_strings(&names);
        let types = json_strings(&types);
        let params: Vec<String> = match kind.as_str() {
            "macro" | "table_macro" => names.iter().map(|_| "?".to_string()).collect(),
            "table" => names
                .iter()
                .zip(&types)
                .filter(|(n, _)| is_positional(n))
                .map(|(_, t)| t.clone())
                .collect(),
            _ => types,
        };
        let mut line = format!("{kind}\t{name}\t{ret}\t{varargs}");
        for p in &params {
            line.push('\t');
            line.push_str(p);
        }
        lines.push(line);
    }
    lines.sort();
    lines.dedup();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

//! Regenerates the function catalog dbtc's static analyzer types calls with, from the
//! DuckDB dbtc links:
//!
//! ```text
//! cargo run --example duckdb_catalog > src/sql/catalog/duckdb_functions.tsv
//! ```
//!
//! Run it after upgrading the `duckdb` crate; `tests/sql_types.rs` fails while the
//! checked-in file differs from what this prints.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let con = duckdb::Connection::open_in_memory()?;
    print!("{}", dbtc::sql::catalog::generate::catalog_tsv(&con)?);
    Ok(())
}

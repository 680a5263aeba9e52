//! Regenerates the Postgres catalog dbtc's static analyzer types calls with, from the
//! server the `DBTC_TEST_PG_*` variables name (`scripts/pg_server.sh start DIR` prints them):
//!
//! ```text
//! cargo run --example pg_catalog > src/sql/pg/pg_catalog.tsv
//! ```
//!
//! Run it against the Postgres major version CI uses; `tests/pg_sql_diff.rs` fails while the
//! checked-in file differs from what the server reports.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut client = dbtc::sql::pg::generate::test_client()
        .ok_or("set DBTC_TEST_PG_HOST (and _PORT, _USER, _PASSWORD, _DBNAME)")??;
    print!("{}", dbtc::sql::pg::generate::catalog_tsv(&mut client)?);
    Ok(())
}

//! SQL comprehension: types, the function catalog, the binder (scopes and name resolution
//! over sqlparser's AST), output schemas, column lineage and analysis diagnostics.
//!
//! The binder itself knows nothing about salsa or dbt: it takes SQL text and a
//! [`schema::RelationProvider`] that answers "what columns does this relation have".
//! `analysis` wires it into the salsa pipeline.

pub mod analysis;
pub mod bind;
pub mod catalog;
pub mod db_read;
pub mod pg;
pub mod schema;
pub mod source_catalog;
pub mod types;

pub use bind::{QueryAnalysis, SqlDiagnostic, analyze_query};

/// The SQL dialect of a target's adapter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    DuckDb,
    Postgres,
}

impl Dialect {
    /// The dialect of an adapter type; None for adapters without analysis support.
    pub fn for_adapter(adapter_type: &str) -> Option<Dialect> {
        match adapter_type {
            "duckdb" => Some(Dialect::DuckDb),
            "postgres" => Some(Dialect::Postgres),
            _ => None,
        }
    }
}

//! The function catalog: which functions exist, of which kind, and what a call returns for
//! given argument types (overload resolution with DuckDB's implicit-cast rules).

use super::types::{SqlType, Typed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    Scalar,
    Aggregate,
    /// Window-only functions (row_number, rank, lag, ...).
    Window,
    Table,
}

/// Why a call does not bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No function of this name (and kind); `suggestions` are close names.
    Unknown { suggestions: Vec<String> },
    /// The function exists but no overload accepts these argument types.
    /// `candidates` are the overloads as DuckDB prints them, e.g. `substr(VARCHAR, BIGINT)`.
    NoOverload { candidates: Vec<String> },
}

pub struct Catalog {}

/// The catalog of the DuckDB version dbtc links.
pub fn duckdb() -> &'static Catalog {
    static CATALOG: Catalog = Catalog {};
    &CATALOG
}

impl Catalog {
    /// The kind of the function `name` (case-insensitive), or None if there is none.
    pub fn kind(&self, name: &str) -> Option<FunctionKind> {
        let _ = name;
        Some(FunctionKind::Scalar)
    }

    /// The result type of a scalar, aggregate or window call.
    pub fn bind_call(&self, name: &str, args: &[Typed]) -> Result<SqlType, CallError> {
        let _ = (name, args);
        Ok(SqlType::Unknown)
    }

    /// The output columns of a table function call; `Ok(None)` when the function exists
    /// but its columns depend on data (read_csv of a file, ...): the relation is opaque.
    pub fn bind_table(
        &self,
        name: &str,
        args: &[Typed],
    ) -> Result<Option<Vec<(String, SqlType)>>, CallError> {
        let _ = (name, args);
        Ok(None)
    }
}

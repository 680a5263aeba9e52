//! Execution against a warehouse: the `Adapter` trait, the DuckDB adapter, and the verbs
//! that run SQL (`seed`, `run`, `test`) and the order `build` runs them in.

pub mod duckdb;
pub mod postgres;
pub mod run;
pub mod schedule;
pub mod seed;
pub mod test;
pub mod transactional;
pub mod unit_test;
pub mod unit_test_diff;
pub mod unit_test_render;

use serde_json::Value;

use crate::project::profiles::Target;

/// A column: its name and the warehouse's type name (e.g. `INTEGER`, `DECIMAL(6,3)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: String,
}

/// The result of a query: columns and rows (values as JSON: numbers, strings, booleans,
/// null; other types as their text form).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

/// A schema-qualified relation (the database part is the connection's own database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub database: Option<String>,
    pub schema: String,
    pub identifier: String,
}

/// A connection to a warehouse, as dbt's adapters expose it to materializations.
pub trait Adapter {
    /// The adapter type (`duckdb`).
    fn adapter_type(&self) -> &'static str;
    /// Runs one or more statements, ignoring results.
    fn execute(&mut self, sql: &str) -> Result<(), String>;
    /// Runs a query and returns its columns and rows.
    fn query(&mut self, sql: &str) -> Result<QueryResult, String>;
    /// The kind of the relation (`table`, `view`) when it exists.
    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String>;
    fn relation_exists(&mut self, relation: &Relation) -> Result<bool, String> {
        Ok(self.relation_kind(relation)?.is_some())
    }
    /// The columns of a relation in order (empty when it does not exist).
    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String>;
    /// Quotes an identifier.
    fn quote(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }
    /// `"schema"."identifier"` (the database part is left out: it is the connected one).
    fn render_relation(&self, relation: &Relation) -> String {
        format!(
            "{}.{}",
            self.quote(&relation.schema),
            self.quote(&relation.identifier)
        )
    }
    fn begin(&mut self) -> Result<(), String> {
        self.execute("BEGIN TRANSACTION")
    }
    fn commit(&mut self) -> Result<(), String> {
        self.execute("COMMIT")
    }
    fn rollback(&mut self) -> Result<(), String> {
        self.execute("ROLLBACK")
    }
    /// Whether DDL is transactional (Postgres): then a build creates, swaps and drops in
    /// one transaction (`transactional`), as dbt-postgres does.
    fn transactional_ddl(&self) -> bool {
        false
    }
    /// What `DROP` needs to also drop dependent views (`" CASCADE"` on Postgres, as
    /// dbt-postgres drops).
    fn drop_cascade(&self) -> &'static str {
        ""
    }
    /// The columns of a temporary table (`name` unquoted), as `columns` gives a relation's.
    fn temp_columns(&mut self, name: &str) -> Result<Vec<Column>, String> {
        let result = self.query(&format!("DESCRIBE {}", self.quote(name)))?;
        Ok(result
            .rows
            .into_iter()
            .map(|r| Column {
                name: r[0].as_str().unwrap_or_default().to_string(),
                data_type: r[1].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
    /// The column type of a seed column whose values were inferred as `inferred` (DuckDB's
    /// type names: INTEGER, DOUBLE, DATE, TIMESTAMP, BOOLEAN, VARCHAR).
    fn seed_type(&self, inferred: &str) -> String {
        inferred.to_string()
    }
}

/// Opens the adapter for a target; `project_dir` anchors relative paths.
pub fn connect(target: &Target, project_dir: &std::path::Path) -> Result<Box<dyn Adapter>, String> {
    match target.adapter_type.as_str() {
        "duckdb" => Ok(Box::new(duckdb::DuckDbAdapter::open(target, project_dir)?)),
        "postgres" => Ok(Box::new(postgres::PostgresAdapter::open(target)?)),
        other => Err(format!(
            "adapter type `{other}` is not supported for execution yet"
        )),
    }
}

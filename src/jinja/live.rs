//! Renders against the live database (issue 4, just-in-time work): during a run, a model
//! whose render queries data (`run_query`, `statement` blocks, `adapter.execute`,
//! `adapter.get_relation`, `get_columns_in_relation` on relations unknown ahead of time)
//! is rendered right after its parents are built, with its queries answered through the
//! run's connection. Such a render never goes through salsa: the database state it reads
//! is not an input.
//!
//! Query values reach Jinja as JSON turns into minijinja values: numbers, strings, booleans,
//! None; values of `DATE`/`TIMESTAMP` columns are Python dates and datetimes, as in dbt's agate
//! tables (`.strftime(...)`, `is not string`), `DECIMAL` values print their exact digits
//! (`12.50`) and `HUGEINT` values are integers.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{DynObject, Object, ObjectRepr};

use crate::exec::{Column, QueryResult};

use super::agate::Table;
use super::compat::{new_dict, new_list};

/// The database a just-in-time render asks.
pub trait LiveDb: Send + Sync + std::fmt::Debug {
    /// Runs a statement and returns its result (empty for statements without rows).
    fn query(&self, sql: &str) -> Result<QueryResult, String>;
    /// The kind (`table`, `view`) of `schema.identifier` when it exists.
    fn relation_kind(&self, schema: &str, identifier: &str) -> Result<Option<String>, String>;
    /// The columns of `schema.identifier` (empty when it does not exist).
    fn columns(&self, schema: &str, identifier: &str) -> Result<Vec<Column>, String>;
}

/// A shared handle on the live database, as `RenderInput` carries it.
pub type Live = Arc<dyn LiveDb>;

/// A query result as an agate table.
pub fn table(result: &QueryResult) -> Value {
    Value::from_object(Table {
        column_names: result.columns.iter().map(|c| c.name.clone()).collect(),
        rows: result.rows.iter().map(|r| row_values(result, r)).collect(),
        unknown_columns: false,
    })
}

/// One row's values as Jinja values (dates and timestamps as Python objects).
fn row_values(result: &QueryResult, row: &[serde_json::Value]) -> Vec<Value> {
    row.iter()
        .enumerate()
        .map(|(i, v)| {
            let typed = match (v, result.columns.get(i)) {
                (serde_json::Value::String(text), Some(col)) => typed_value(&col.data_type, text),
                _ => None,
            };
            typed.unwrap_or_else(|| super::to_value(v))
        })
        .collect()
}

/// A value the adapter passed as text, as dbt's agate table holds it for its column type:
/// `DECIMAL` a Python `Decimal`, `HUGEINT` an int, timestamps Python datetimes (with time
/// zone: aware, in UTC), dates Python dates. Other text stays text.
fn typed_value(data_type: &str, text: &str) -> Option<Value> {
    let upper = data_type.to_ascii_uppercase();
    if upper.starts_with("DECIMAL(") {
        return decimal(text);
    }
    match upper.as_str() {
        "HUGEINT" => text.parse::<i128>().ok().map(Value::from),
        "UHUGEINT" => text.parse::<u128>().ok().map(Value::from),
        "TIMESTAMP WITH TIME ZONE" => {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(super::pymodules::DateTime::from_utc)
        }
        "TIMESTAMP_S" | "TIMESTAMP_MS" | "TIMESTAMP_NS" => {
            super::pymodules::from_sql_text("timestamp", text)
        }
        _ => super::pymodules::from_sql_text(data_type, text),
    }
}

/// A `DECIMAL` value from its exact digits: an integer when it has no fraction, a float when
/// the float prints the same digits (`1.5`), else a `Decimal` that prints them (`12.50`).
fn decimal(text: &str) -> Option<Value> {
    if !text.contains('.') {
        return text.parse::<i128>().ok().map(Value::from);
    }
    let float: f64 = text.parse().ok()?;
    let as_float = Value::from(float);
    Some(if as_float.to_string() == text {
        as_float
    } else {
        Value::from_object(Decimal(text.to_string()))
    })
}

/// A Python `Decimal` whose digits a float would not keep (`12.50`, more than 17 digits): it
/// renders them exactly. Comparison with another `Decimal` is numeric.
#[derive(Debug)]
struct Decimal(String);

impl Decimal {
    fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

impl Object for Decimal {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.0.bytes().any(|b| b.is_ascii_digit() && b != b'0')
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<std::cmp::Ordering> {
        let other = other.downcast_ref::<Decimal>()?;
        self.as_f64().partial_cmp(&other.as_f64())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// dbt's adapter response for a statement that returned `rows` rows.
pub fn response(rows: usize) -> Value {
    super::to_value(serde_json::json!({"_message": "OK", "code": "OK", "rows_affected": rows}))
}

/// `load_result(name)` of a statement that ran: `response`, `data` (rows as tuples),
/// `table`.
pub fn statement_result(result: &QueryResult) -> Value {
    let data = result
        .rows
        .iter()
        .map(|r| super::compat::tuple(row_values(result, r)))
        .collect();
    new_dict(
        [
            (Value::from("response"), response(result.rows.len())),
            (Value::from("data"), new_list(data)),
            (Value::from("table"), table(result)),
        ]
        .into_iter()
        .collect(),
    )
}

/// `schema` and `identifier` of a relation value (or of the kwargs dbt passes).
pub fn relation_parts(relation: &Value) -> Option<(String, String)> {
    let attr = |name: &str| {
        relation
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    Some((attr("schema")?, attr("identifier")?))
}

/// The columns of a relation as dbt's `Column` objects (`postgres`: dbt-postgres's).
pub fn columns_value(columns: &[Column], postgres: bool) -> Value {
    let pairs: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.name.clone(), c.data_type.clone()))
        .collect();
    super::columns::column_list(&pairs, postgres)
}

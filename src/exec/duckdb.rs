//! The DuckDB adapter (`type: duckdb` profiles): `path` (relative to the project folder, or
//! `:memory:`) and `schema`.

use std::path::Path;

use duckdb::Connection;
use duckdb::types::{Value as DValue, ValueRef};
use serde_json::Value;

use super::{Adapter, Column, QueryResult, Relation};
use crate::project::profiles::Target;

pub struct DuckDbAdapter {
    conn: Connection,
}

fn err(e: duckdb::Error) -> String {
    e.to_string()
}

/// The database file a target points at (None: in memory).
pub fn database_path(target: &Target, project_dir: &Path) -> Option<std::path::PathBuf> {
    match target.fields.get("path").and_then(Value::as_str) {
        None | Some("") | Some(":memory:") => None,
        Some(p) => {
            let p = Path::new(p);
            Some(if p.is_absolute() {
                p.to_path_buf()
            } else {
                project_dir.join(p)
            })
        }
    }
}

impl DuckDbAdapter {
    pub fn open(target: &Target, project_dir: &Path) -> Result<DuckDbAdapter, String> {
        let conn = match database_path(target, project_dir) {
            None => Connection::open_in_memory().map_err(err)?,
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        Ok(DuckDbAdapter { conn })
    }

    /// Another connection to the same database (its own transactions and temporary
    /// tables): one per worker thread. DuckDB locks a database file per process, so
    /// workers share this database instance instead of opening the file again.
    pub fn try_clone(&self) -> Result<DuckDbAdapter, String> {
        Ok(DuckDbAdapter {
            conn: self.conn.try_clone().map_err(err)?,
        })
    }

    /// Interrupts the query running on this connection (from any thread: Ctrl-C).
    pub fn interrupt_handle(&self) -> std::sync::Arc<duckdb::InterruptHandle> {
        self.conn.interrupt_handle()
    }

    pub fn in_memory() -> Result<DuckDbAdapter, String> {
        Ok(DuckDbAdapter {
            conn: Connection::open_in_memory().map_err(err)?,
        })
    }
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v.to_owned() {
        DValue::Null => Value::Null,
        DValue::Boolean(b) => Value::Bool(b),
        DValue::TinyInt(i) => i.into(),
        DValue::SmallInt(i) => i.into(),
        DValue::Int(i) => i.into(),
        DValue::BigInt(i) => i.into(),
        DValue::UTinyInt(i) => i.into(),
        DValue::USmallInt(i) => i.into(),
        DValue::UInt(i) => i.into(),
        DValue::UBigInt(i) => i.into(),
        DValue::HugeInt(i) => i64::try_from(i).map_or(Value::String(i.to_string()), Value::from),
        DValue::Float(f) => {
            serde_json::Number::from_f64(f.into()).map_or(Value::Null, Value::Number)
        }
        DValue::Double(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        DValue::Text(s) => Value::String(s),
        // Dates and timestamps as their text (was the Rust debug form, `Date32(19783)`).
        DValue::Date32(days) => chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)
            .map_or(Value::Null, |d| Value::String(d.date_naive().to_string())),
        DValue::Timestamp(unit, v) => chrono::DateTime::from_timestamp_micros(unit.to_micros(v))
            .map_or(Value::Null, |d| Value::String(d.naive_utc().to_string())),
        other => Value::String(format!("{other:?}")),
    }
}

fn type_name(t: &duckdb::core::LogicalTypeHandle) -> String {
    use duckdb::core::LogicalTypeId as Id;
    match t.id() {
        Id::Decimal => format!("DECIMAL({},{})", t.decimal_width(), t.decimal_scale()),
        Id::Varchar => "VARCHAR".into(),
        Id::Integer => "INTEGER".into(),
        Id::Bigint => "BIGINT".into(),
        Id::Smallint => "SMALLINT".into(),
        Id::Tinyint => "TINYINT".into(),
        Id::Double => "DOUBLE".into(),
        Id::Float => "FLOAT".into(),
        Id::Boolean => "BOOLEAN".into(),
        Id::Date => "DATE".into(),
        Id::Timestamp => "TIMESTAMP".into(),
        other => format!("{other:?}").to_uppercase(),
    }
}

impl Adapter for DuckDbAdapter {
    fn adapter_type(&self) -> &'static str {
        "duckdb"
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.conn.execute_batch(sql).map_err(err)
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows_out = Vec::new();
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let stmt = row.as_ref();
            let n = stmt.column_count();
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(to_json(row.get_ref(i).map_err(err)?));
            }
            rows_out.push(values);
        }
        drop(rows);
        let names = stmt.column_names();
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Column {
                name,
                data_type: type_name(&stmt.column_logical_type(i)),
            })
            .collect();
        Ok(QueryResult {
            columns,
            rows: rows_out,
        })
    }

    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String> {
        let mut stmt = self
            .conn
            .prepare(
                "select table_type from information_schema.tables \
                 where table_catalog = current_database() and table_schema = ? and table_name = ?",
            )
            .map_err(err)?;
        let mut rows = stmt
            .query([&relation.schema, &relation.identifier])
            .map_err(err)?;
        Ok(match rows.next().map_err(err)? {
            None => None,
            Some(row) => {
                let t: String = row.get(0).map_err(err)?;
                Some(if t == "VIEW" { "view" } else { "table" }.to_string())
            }
        })
    }

    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String> {
        if !self.relation_exists(relation)? {
            return Ok(Vec::new());
        }
        let result = self.query(&format!("DESCRIBE {}", self.render_relation(relation)))?;
        Ok(result
            .rows
            .into_iter()
            .map(|r| Column {
                name: r[0].as_str().unwrap_or_default().to_string(),
                data_type: r[1].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

//! Query results as dbt hands them to Jinja: agate tables (`run_query(...)`,
//! `load_result(...).table`, `adapter.execute(...)[1]`) with `.columns`, `.rows`,
//! `.column_names`, `table[0]`, `column.values()`, `row['name']`.
//!
//! Ahead of time there is no database, so a render gets an *unknown* table: no rows, and
//! any column asked for exists and is empty (`results.columns[0].values()` is `()`), which
//! is what a query returning nothing looks like. The render is marked introspective.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

use super::compat::{new_list, tuple};

/// An agate table.
#[derive(Debug, Default)]
pub struct Table {
    pub column_names: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Columns are unknown (rendered ahead of time): any column lookup succeeds, empty.
    pub unknown_columns: bool,
}

impl Table {
    /// The result of a query that has not run.
    pub fn unknown() -> Value {
        Value::from_object(Table {
            unknown_columns: true,
            ..Table::default()
        })
    }

    fn column(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let idx = match key.as_str() {
            Some(name) => self.column_names.iter().position(|c| c == name),
            None => key.as_i64().and_then(|i| {
                let n = self.column_names.len() as i64;
                usize::try_from(if i < 0 { n + i } else { i }).ok()
            }),
        };
        match idx.filter(|i| *i < self.column_names.len()) {
            Some(i) => Some(Value::from_object(Column {
                name: self.column_names[i].clone(),
                values: self.rows.iter().map(|r| r[i].clone()).collect(),
            })),
            None if self.unknown_columns => Some(Value::from_object(Column {
                name: key.as_str().unwrap_or_default().to_string(),
                values: Vec::new(),
            })),
            None => None,
        }
    }

    fn row(self: &Arc<Self>, i: usize) -> Value {
        Value::from_object(Row {
            names: self.column_names.clone(),
            values: self.rows[i].clone(),
        })
    }

    fn rows(self: &Arc<Self>) -> Vec<Value> {
        (0..self.rows.len()).map(|i| self.row(i)).collect()
    }
}

impl Object for Table {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(i) = key.as_i64() {
            let n = self.rows.len() as i64;
            let i = usize::try_from(if i < 0 { n + i } else { i }).ok()?;
            return (i < self.rows.len()).then(|| self.row(i));
        }
        Some(match key.as_str()? {
            "columns" => Value::from_object(Columns(Arc::clone(self))),
            "rows" => Value::from(self.rows()),
            "column_names" => tuple(self.column_names.iter().map(Value::from).collect()),
            "column_types" => tuple(Vec::new()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.rows())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.rows.len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "print_table" | "print_json" | "print_csv" => Ok(Value::from(())),
            "select" | "exclude" => {
                let names: Vec<String> = match args.first() {
                    Some(v) => v
                        .try_iter()?
                        .map(|n| n.as_str().unwrap_or_default().to_string())
                        .collect(),
                    None => Vec::new(),
                };
                let keep: Vec<usize> = (0..self.column_names.len())
                    .filter(|i| names.contains(&self.column_names[*i]) == (method == "select"))
                    .collect();
                Ok(Value::from_object(Table {
                    column_names: keep.iter().map(|i| self.column_names[*i].clone()).collect(),
                    rows: self
                        .rows
                        .iter()
                        .map(|r| keep.iter().map(|i| r[*i].clone()).collect())
                        .collect(),
                    unknown_columns: self.unknown_columns,
                }))
            }
            "limit" => {
                let n = args.first().and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
                Ok(Value::from_object(Table {
                    column_names: self.column_names.clone(),
                    rows: self.rows.iter().take(n).cloned().collect(),
                    unknown_columns: self.unknown_columns,
                }))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("agate.Table has no method `{method}`"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<agate.table.Table object>")
    }
}

/// `table.columns`: by name or index; `.keys()`, `.values()`, `.items()`.
#[derive(Debug)]
struct Columns(Arc<Table>);

impl Object for Columns {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.column(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.column_names.iter().map(Value::from).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.column_names.len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        let names = || self.0.column_names.iter().map(Value::from);
        let column = |n: Value| self.0.column(&n).unwrap_or_default();
        match method {
            "keys" => Ok(new_list(names().collect())),
            "values" => Ok(new_list(names().map(column).collect())),
            "items" => Ok(new_list(
                names().map(|n| tuple(vec![n.clone(), column(n)])).collect(),
            )),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("agate columns have no method `{method}`"),
            )),
        }
    }
}

/// One column: its values (`values()` is a tuple, as in agate) and its name.
#[derive(Debug)]
struct Column {
    name: String,
    values: Vec<Value>,
}

impl Object for Column {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(i) = key.as_i64() {
            let n = self.values.len() as i64;
            let i = usize::try_from(if i < 0 { n + i } else { i }).ok()?;
            return self.values.get(i).cloned();
        }
        match key.as_str()? {
            "name" => Some(Value::from(self.name.clone())),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.values.clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "values" => Ok(tuple(self.values.clone())),
            "values_without_nulls" => Ok(tuple(
                self.values
                    .iter()
                    .filter(|v| !v.is_none())
                    .cloned()
                    .collect(),
            )),
            "values_distinct" => {
                let mut out: Vec<Value> = Vec::new();
                for v in &self.values {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
                Ok(tuple(out))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("agate column has no method `{method}`"),
            )),
        }
    }
}

/// One row: by index or column name; `keys()`, `values()`, `items()`, `dict()`.
#[derive(Debug)]
struct Row {
    names: Vec<String>,
    values: Vec<Value>,
}

impl Object for Row {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(name) = key.as_str() {
            let i = self.names.iter().position(|n| n == name)?;
            return self.values.get(i).cloned();
        }
        let n = self.values.len() as i64;
        let i = key.as_i64()?;
        let i = usize::try_from(if i < 0 { n + i } else { i }).ok()?;
        self.values.get(i).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.values.clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        let pairs = || {
            self.names
                .iter()
                .zip(&self.values)
                .map(|(n, v)| (Value::from(n.clone()), v.clone()))
        };
        match method {
            "keys" => Ok(tuple(self.names.iter().map(Value::from).collect())),
            "values" => Ok(tuple(self.values.clone())),
            "items" => Ok(new_list(pairs().map(|(k, v)| tuple(vec![k, v])).collect())),
            "dict" => Ok(super::compat::new_dict(pairs().collect())),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("agate row has no method `{method}`"),
            )),
        }
    }
}

/// `load_result(name)` for a statement that ran ahead of time: `response`, `data`, `table`.
pub fn unknown_result() -> Value {
    super::compat::new_dict(
        [
            (
                Value::from("response"),
                crate::jinja::to_value(serde_json::json!({
                    "_message": "", "code": "", "rows_affected": 0
                })),
            ),
            (Value::from("data"), new_list(Vec::new())),
            (Value::from("table"), Table::unknown()),
        ]
        .into_iter()
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(tmpl: &str, table: Value) -> String {
        let mut env = minijinja::Environment::new();
        env.set_unknown_method_callback(super::super::compat::unknown_method);
        env.render_str(tmpl, minijinja::context! { t => table })
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn unknown_table_is_empty_with_any_column() {
        let out = render(
            "{{ t.columns[0].values() | length }} {{ t.columns['x'].values() }} {{ t.rows | length }} {{ t | length }} {% for r in t %}x{% endfor %}{{ t[0] is defined }}",
            Table::unknown(),
        );
        assert_eq!(out, "0 () 0 0 False");
    }

    #[test]
    fn known_table_has_columns_and_rows() {
        let table = Value::from_object(Table {
            column_names: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Value::from(1), Value::from("x")],
                vec![Value::from(2), Value::from("y")],
            ],
            unknown_columns: false,
        });
        let out = render(
            "{{ t.columns[1].values() }} {{ t.columns['a'].values() }} {{ t[1]['b'] }} {{ t.rows[0][0] }} {% for k, c in t.columns.items() %}{{ k }}{% endfor %} {{ t.column_names }} {{ t.columns['zz'] is undefined }}",
            table,
        );
        assert_eq!(out, "('x', 'y') (1, 2) y 1 ab ('a', 'b') True");
    }
}
